/* tests/integration/test_hostile.c - edged under hostile local clients (issue 15).
 *
 * Owns: the hostile-client suite. Each case starts a real edged (the digits demo, the shared
 * person_detect and a generated 1 MiB echo model; 2 workers) on a temporary Unix socket and
 * runs a good client (a new connection per binary infer request of digits, every few ms)
 * alone for a moment, then next to an attack driven by one thread over many non-blocking
 * sockets: (1) churn with garbage, (2) slowloris, (3) slow 60 MiB uploads, (4) clients that
 * pipeline requests and never read the replies, (5) thousands of idle connections; and at the
 * default max_connections (issue 44): (6) a garbage flood whose clients never read their 400
 * nor hang up, (7) 1,000 idle keep-alive connections. Each case asserts that no good request
 * failed (a failed connect, a refusal, or no answer within 60 s), that edged's RSS stays
 * within 64 MiB of where it started during the case (case 3: under max_buffered_bytes + 64 MiB) and
 * comes back within 64 MiB after it, that edged still answers, and that it exits 0 on SIGTERM
 * (LeakSanitizer's verdict in the ASan build). Each case is bounded in time (about 15 s; 30 s at
 * most) and stops every process and socket it started. Under AddressSanitizer RSS and latency say
 * nothing (the quarantine, the slowdown): those checks are skipped there, saying so, and the counts
 * are smaller. The good client's latency (p99 under attack within 10x its quiet p99, a 2 ms floor;
 * cases 1-5) is printed, and asserted only with EDGED_HOSTILE_LATENCY=1 on a quiet machine: the
 * suite must pass with a CPU hog on every core. Then the DeepStack port ([vision] listen): its own
 * connection slots (holding all of them leaves the Unix socket's alone), refusals made before
 * routing (431, 413, 400) in the DeepStack shape, and [vision] api_key_exempt for clients that send
 * no key. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_fixture.h"
#include "digits.h"
#include "edge/runtime.h"
#include "runtime/tflite_schema.h"
#include "test_support.h"
#include "tflite_writer.h"

#define MIB_KB 1024L               /* KiB in a MiB (VmRSS is in KiB) */
#define RSS_SLACK_KB (64 * MIB_KB) /* the bound: 64 MiB above the start */
#define SAFETY_KB (2048 * MIB_KB)  /* stop an attack that takes edged past 2 GiB */
#define QUIET_MS 1500              /* the good client alone, for its quiet p99 */
#define SETTLE_MS 5000             /* after the attack: RSS must come back within this */
/* An attack runs its case's attack_ms, and on until it has made the connections the case asks
 * for (min_connects, min_open) when a loaded machine made them slower, this long at the most */
#define ATTACK_MAX_MS 60000
#define P99_FLOOR_MS 2.0
#define P99_FACTOR 10.0
#define GOOD_TIMEOUT_MS (DFX_UNDER_ASAN ? 15000 : 5000)
#define GOOD_PATIENT_MS 60000 /* one good request's bound when latency is not asserted */
#define ECHO_BYTES (1u << 20) /* the echo model's input and output */
#define SLOW_BODY_BYTES (60ull << 20)

static dfx F;
static const char *shared;

/* ------------------------------------------------------------ time, randomness */

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int64_t now_ms(void)
{
    return now_us() / 1000;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ------------------------------------------------------------ requests */

typedef struct buf {
    char *data;
    size_t len;
} buf;

/* A binary-extension infer request for MODEL: one input (NAME, SHAPE as JSON, INT8, LEN bytes
 * of DATA), OUT_NAME returned as binary data (NULL: every output, as JSON). */
static buf binary_request(const char *model, const char *name, const char *shape, const void *data,
                          size_t len, const char *out_name)
{
    char json[512], outs[160] = "";
    if (out_name)
        snprintf(outs, sizeof outs,
                 ",\"outputs\":[{\"name\":\"%s\",\"parameters\":{\"binary_data\":"
                 "true}}]",
                 out_name);
    const int jl = snprintf(json, sizeof json,
                            "{\"inputs\":[{\"name\":\"%s\",\"shape\":%s,\"datatype\":\"INT8\","
                            "\"parameters\":{\"binary_data_size\":%zu}}]%s}",
                            name, shape, len, outs);
    char head[512];
    const int hl = snprintf(head, sizeof head,
                            "POST /v2/models/%s/infer HTTP/1.1\r\nHost: localhost\r\n"
                            "Content-Type: application/octet-stream\r\n"
                            "Inference-Header-Content-Length: %d\r\nContent-Length: %zu\r\n\r\n",
                            model, jl, (size_t)jl + len);
    buf b = {malloc((size_t)hl + (size_t)jl + len), (size_t)hl + (size_t)jl + len};
    assert_non_null(b.data);
    memcpy(b.data, head, (size_t)hl);
    memcpy(b.data + hl, json, (size_t)jl);
    memcpy(b.data + hl + jl, data, len);
    return b;
}

static buf buf_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static buf buf_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    buf b = {malloc((size_t)n + 1), (size_t)n};
    assert_non_null(b.data);
    va_start(ap, fmt);
    vsnprintf(b.data, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return b;
}

/* The payloads, built once (setup). */
enum { K_RANDOM, K_JSON_CUT, K_JSON_BAD, K_LONG_URL, K_BIN_300, K_BIN_IHCL, N_KINDS };
#define N_RANDOM 8
static buf good_req;          /* digits, binary in and out */
static buf churn[N_KINDS];    /* one payload per kind (K_RANDOM: the first variant) */
static buf randoms[N_RANDOM]; /* 300 random bytes each */
static buf loris;             /* a request line and headers that never end */
static buf slow_head;         /* headers announcing a 60 MiB body */
static buf pipe_small;        /* a small request, pipelined by a client that never reads */
static buf pipe_big;          /* a 1 MiB echo request with a 1 MiB binary reply */
static char spaces[65536];    /* body bytes of the slow uploads (JSON whitespace) */

static void build_churn_payloads(void)
{
    uint64_t seed = 0x15157ull;
    for (int i = 0; i < N_RANDOM; i++) {
        randoms[i] = (buf){malloc(300), 300};
        for (int k = 0; k < 300; k++)
            randoms[i].data[k] = (char)rng_next(&seed);
    }
    churn[K_RANDOM] = randoms[0];
    /* a JSON infer request whose body stops early: announced whole, sent in part */
    char json[2048];
    int jl = snprintf(json, sizeof json,
                      "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,96,96,1],"
                      "\"datatype\":\"INT8\",\"data\":[");
    while (jl < (int)sizeof json - 8)
        jl += snprintf(json + jl, sizeof json - (size_t)jl, "%d,", jl % 100);
    churn[K_JSON_CUT] = buf_printf("POST /v2/models/person_detect/infer HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                                   "%.200s",
                                   jl, json);
    /* ... and one whose body is complete but the JSON in it is cut short */
    churn[K_JSON_BAD] = buf_printf("POST /v2/models/person_detect/infer HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
                                   "%.200s",
                                   json);
    char *url = malloc(20001);
    assert_non_null(url);
    memset(url, 'a', 20000);
    url[20000] = 0;
    churn[K_LONG_URL] = buf_printf("GET /v2/models/%s HTTP/1.1\r\nHost: x\r\n\r\n", url);
    free(url);
    static uint8_t image[96 * 96];
    memset(image, 0x11, sizeof image);
    churn[K_BIN_300] =
        binary_request("person_detect", "input", "[1,96,96,1]", image, sizeof image, NULL);
    churn[K_BIN_300].len = 300;
    /* Inference-Header-Content-Length beyond the body */
    buf whole = binary_request("person_detect", "input", "[1,96,96,1]", image, sizeof image, NULL);
    const char *ihcl = strstr(whole.data, "Inference-Header-Content-Length: ");
    assert_non_null(ihcl);
    const size_t at = (size_t)(ihcl - whole.data) + strlen("Inference-Header-Content-Length: ");
    churn[K_BIN_IHCL] = (buf){malloc(whole.len + 1), whole.len + 1};
    assert_non_null(churn[K_BIN_IHCL].data);
    memcpy(churn[K_BIN_IHCL].data, whole.data, at);
    churn[K_BIN_IHCL].data[at] = '9'; /* one more digit in front: far beyond the body */
    memcpy(churn[K_BIN_IHCL].data + at + 1, whole.data + at, whole.len - at);
    free(whole.data);
}

static void build_payloads(void)
{
    int8_t img[DIGITS_PIXELS];
    digits_image(3, img);
    good_req = binary_request("digits", "image", "[1,8,8,1]", img, sizeof img, "probs");
    build_churn_payloads();
    /* 16 KiB of headers without the blank line, sent a byte at a time: never finished */
    size_t cap = 16384, n = 0;
    loris.data = malloc(cap);
    assert_non_null(loris.data);
    n += (size_t)snprintf(loris.data, cap, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; n + 32 < cap; i++)
        n += (size_t)snprintf(loris.data + n, cap - n, "X-Slow-%05d: abcdefgh\r\n", i);
    loris.len = n;
    slow_head = buf_printf("POST /v2/models/person_detect/infer HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: application/json\r\nContent-Length: %llu\r\n\r\n",
                           (unsigned long long)SLOW_BODY_BYTES);
    memset(spaces, ' ', sizeof spaces);
    pipe_small = buf_printf("GET /v2/models/digits HTTP/1.1\r\nHost: x\r\n\r\n");
    uint8_t *big = malloc(ECHO_BYTES);
    assert_non_null(big);
    memset(big, 0x5a, ECHO_BYTES);
    char shape[64];
    snprintf(shape, sizeof shape, "[1,%u]", ECHO_BYTES);
    pipe_big = binary_request("echo", "in", shape, big, ECHO_BYTES, "out");
    free(big);
}

static void free_payloads(void)
{
    free(good_req.data);
    for (int i = 0; i < N_RANDOM; i++)
        free(randoms[i].data);
    for (int k = 0; k < N_KINDS; k++)
        if (k != K_RANDOM)
            free(churn[k].data);
    free(loris.data);
    free(slow_head.data);
    free(pipe_small.data);
    free(pipe_big.data);
}

/* The echo model: RESHAPE of an int8 [1, ECHO_BYTES] input to the same shape. Its replies are
 * as big as its requests: what a client that never reads lets pile up. */
static int write_echo_model(const char *path)
{
    tfw_writer *w = tfw_new();
    if (!w)
        return -1;
    const int32_t dims[2] = {1, (int32_t)ECHO_BYTES}, d_shape[1] = {2};
    const tfw_tensor_desc in = {.type = EDGE_INT8,
                                .rank = 2,
                                .dims = dims,
                                .name = "in",
                                .q_count = 1,
                                .scale = 1.0f,
                                .zero_point = 0};
    tfw_tensor_desc out = in;
    out.name = "out";
    const tfw_tensor_desc sh = {.type = EDGE_INT32, .rank = 1, .dims = d_shape, .name = "shape"};
    const int32_t t_in = tfw_add_tensor(w, &in);
    const int32_t t_shape = tfw_add_const(w, &sh, dims, sizeof dims);
    const int32_t t_out = tfw_add_tensor(w, &out);
    const int32_t reshape = tfw_add_opcode(w, EDGE_OP_RESHAPE, 1);
    const int32_t ins[2] = {t_in, t_shape};
    tfw_add_operator(w, reshape, ins, 2, &t_out, 1, NULL);
    tfw_set_io(w, &t_in, 1, &t_out, 1);
    const int rc = tfw_write_file(w, path);
    tfw_free(w);
    return rc;
}

/* ------------------------------------------------------------ sockets */

static int unix_socket(bool nonblock)
{
    return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
}

static struct sockaddr_un sock_addr; /* edged's socket (setup) */

static int unix_connect(int fd)
{
    return connect(fd, (const struct sockaddr *)&sock_addr, sizeof sock_addr);
}

/* ------------------------------------------------------------ the good client */

static char good_ref[4096]; /* the body of the first reply: every later one must equal it */
static size_t good_ref_len;

/* One good request on a new connection within TIMEOUT_MS: 0, or -1 with WHY. */
static int good_once(int timeout_ms, char *why, size_t why_len)
{
    const int64_t end = now_ms() + timeout_ms;
    int fd = unix_socket(false);
    if (fd < 0) {
        snprintf(why, why_len, "socket: %s", strerror(errno));
        return -1;
    }
    const struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* a full backlog, a full buffer */
    if (unix_connect(fd) != 0) {
        snprintf(why, why_len, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (write(fd, good_req.data, good_req.len) != (ssize_t)good_req.len) {
        snprintf(why, why_len, "write: %s", strerror(errno));
        close(fd);
        return -1;
    }
    char reply[8192];
    size_t n = 0, want = 0;
    for (;;) {
        const int64_t left = end - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            snprintf(why, why_len, "no whole reply within %d ms (%zu bytes: '%.40s')", timeout_ms,
                     n, n ? reply : "");
            break;
        }
        const ssize_t got = read(fd, reply + n, sizeof reply - 1 - n);
        if (got <= 0) {
            snprintf(why, why_len, "closed after %zu bytes: '%.60s'", n, n ? reply : "");
            break;
        }
        n += (size_t)got;
        reply[n] = 0;
        const char *end_h = strstr(reply, "\r\n\r\n");
        if (!end_h && n == sizeof reply - 1) {
            snprintf(why, why_len, "headers over %zu bytes", n);
            break;
        }
        if (!end_h)
            continue;
        if (strncmp(reply, "HTTP/1.1 200 ", 13) != 0) {
            /* the status line and as much of the body (edged's reason) as came */
            poll(&p, 1, 100);
            const ssize_t more = read(fd, reply + n, sizeof reply - 1 - n);
            n += more > 0 ? (size_t)more : 0;
            reply[n] = 0;
            const char *eol = strstr(reply, "\r\n");
            snprintf(why, why_len, "'%.*s' %.140s", eol ? (int)(eol - reply) : 40, reply,
                     end_h + 4);
            break;
        }
        const char *cl = strcasestr(reply, "\r\nContent-Length:");
        const size_t head = (size_t)(end_h + 4 - reply);
        want = cl ? head + strtoul(cl + 17, NULL, 10) : 0;
        if (!cl || want >= sizeof reply) {
            snprintf(why, why_len, "no usable Content-Length in '%.80s'", reply);
            break;
        }
        if (n < want)
            continue;
        close(fd);
        if (good_ref_len == 0) { /* the first one: the reference */
            good_ref_len = want - head;
            memcpy(good_ref, reply + head, good_ref_len);
            return 0;
        }
        if (want - head != good_ref_len || memcmp(good_ref, reply + head, good_ref_len) != 0) {
            snprintf(why, why_len, "a different reply body: '%.60s'", reply + head);
            return -1;
        }
        return 0;
    }
    close(fd);
    return -1;
}

typedef struct good {
    pthread_t th;
    atomic_bool stop;
    atomic_int phase; /* 0: quiet, 1: under attack */
    int interval_ms;  /* from one request's start to the next */
    int timeout_ms;   /* each request's */
    pthread_mutex_t mu;
    double *lat[2]; /* milliseconds, per phase */
    size_t n[2], cap;
    long failed[2];
    char first_failure[256];
} good;

static void *good_main(void *arg)
{
    good *g = arg;
    while (!atomic_load(&g->stop)) {
        const int64_t t0 = now_us();
        char why[200] = "";
        const int rc = good_once(g->timeout_ms, why, sizeof why);
        const double ms = (double)(now_us() - t0) / 1000.0;
        const int ph = atomic_load(&g->phase);
        pthread_mutex_lock(&g->mu);
        if (rc != 0 && g->failed[0] + g->failed[1] == 0)
            snprintf(g->first_failure, sizeof g->first_failure, "%s phase, after %.0f ms: %s",
                     ph ? "attack" : "quiet", ms, why);
        g->failed[ph] += rc != 0;
        if (rc == 0 && g->n[ph] < g->cap)
            g->lat[ph][g->n[ph]++] = ms;
        pthread_mutex_unlock(&g->mu);
        const int64_t next = t0 + (int64_t)g->interval_ms * 1000, now = now_us();
        if (next > now)
            sleep_ms((int)((next - now) / 1000));
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The Pth percentile of N samples (0 when there are none). */
static double percentile(const double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    double *s = malloc(n * sizeof *s);
    assert_non_null(s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    size_t i = (size_t)(p / 100.0 * (double)n + 0.999999);
    i = i ? i - 1 : 0;
    const double r = s[i < n ? i : n - 1];
    free(s);
    return r;
}

/* ------------------------------------------------------------ the attack: many sockets, one thread
 */

enum { AFTER_CLOSE, AFTER_READ, AFTER_HOLD };

typedef struct slot {
    int fd;
    const buf *head; /* sent first */
    uint64_t body;   /* then this many bytes of spaces */
    uint64_t sent;   /* of head->len + body */
    size_t chunk;    /* pacing: CHUNK bytes every GAP_MS; gap 0: as fast as possible */
    int gap_ms;
    size_t budget;      /* bytes this tick may still send */
    bool repeat;        /* send HEAD again and again (pipelining) and never read */
    bool deaf;          /* never read what edged sends (closes when edged hangs up) */
    int after;          /* once everything is sent */
    int read_ms;        /* AFTER_READ: how long to wait for the reply and the close */
    int reconnect_ms;   /* after a close: connect again this much later */
    int64_t next_ms;    /* the next tick; when closed, the next connect */
    int64_t read_until; /* AFTER_READ */
    char reply[16];     /* the start of edged's reply */
    size_t reply_len;
} slot;

typedef struct attack attack;
struct attack {
    slot *s;
    int n;
    void (*arm)(attack *a, slot *s); /* sets a slot's script before each connect */
    pthread_t th;
    atomic_bool stop;
    uint64_t rng;
    /* counters (the thread's; read after the join) */
    long connects, retries, connect_errors, closed_by_edged, no_reply;
    long status[6];  /* by class: [2] 2xx ... [5] 5xx, [0] anything else */
    long s408, s503; /* the answers of the fairness rules */
    int open, open_max;
    /* connects and open_max as the attack goes, for watch (which reads them while it runs) */
    atomic_long seen_connects;
    atomic_int seen_open_max;
};

static void slot_close(attack *a, slot *s, bool by_edged)
{
    if (s->reply_len >= 12 && !strncmp(s->reply, "HTTP/1.", 7)) {
        const int st = atoi(s->reply + 9);
        a->status[st >= 200 && st < 600 ? st / 100 : 0]++;
        a->s408 += st == 408;
        a->s503 += st == 503;
    } else if (by_edged) {
        a->no_reply++;
    }
    a->closed_by_edged += by_edged;
    close(s->fd);
    s->fd = -1;
    a->open--;
    s->next_ms = now_ms() + s->reconnect_ms;
}

static void slot_connect(attack *a, slot *s, int64_t now)
{
    a->arm(a, s);
    s->sent = 0;
    s->reply_len = 0;
    s->budget = 0;
    s->read_until = 0;
    s->fd = unix_socket(true);
    if (s->fd < 0) {
        a->connect_errors++;
        s->next_ms = now + 50;
        return;
    }
    if (unix_connect(s->fd) != 0) {
        const bool busy = errno == EAGAIN; /* the backlog is full: edged does not accept fast */
        close(s->fd);
        s->fd = -1;
        a->retries += busy;
        a->connect_errors += !busy;
        s->next_ms = now + (busy ? 2 : 50);
        return;
    }
    a->connects++;
    if (++a->open > a->open_max)
        a->open_max = a->open;
    atomic_store_explicit(&a->seen_connects, a->connects, memory_order_relaxed);
    atomic_store_explicit(&a->seen_open_max, a->open_max, memory_order_relaxed);
    s->next_ms = now + (s->gap_ms ? (int64_t)(rng_next(&a->rng) % (uint64_t)s->gap_ms) : 0);
}

static bool slot_sending(const slot *s)
{
    return s->repeat || s->sent < (uint64_t)s->head->len + s->body;
}

/* Send what the pacing allows; false when the slot closed. */
static bool slot_send(attack *a, slot *s, int64_t now)
{
    if (s->gap_ms && now >= s->next_ms) {
        s->budget = s->chunk;
        s->next_ms = now + s->gap_ms;
    }
    while (slot_sending(s) && (!s->gap_ms || s->budget)) {
        const uint64_t total = (uint64_t)s->head->len + s->body;
        const char *p;
        size_t len;
        if (s->sent < s->head->len) {
            p = s->head->data + s->sent;
            len = s->head->len - (size_t)s->sent;
        } else {
            p = spaces;
            len = total - s->sent < sizeof spaces ? (size_t)(total - s->sent) : sizeof spaces;
        }
        if (s->gap_ms && len > s->budget)
            len = s->budget;
        const ssize_t w = send(s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (w < 0) { /* EPIPE, ECONNRESET: edged closed it */
            slot_close(a, s, true);
            return false;
        }
        s->sent += (uint64_t)w;
        if (s->gap_ms)
            s->budget -= (size_t)w;
        if (s->repeat && s->sent == total)
            s->sent = 0;
    }
    if (slot_sending(s))
        return true;
    if (s->after == AFTER_CLOSE) {
        slot_close(a, s, false);
        return false;
    }
    if (s->after == AFTER_READ && !s->read_until)
        s->read_until = now + s->read_ms;
    return true;
}

static void slot_read(attack *a, slot *s)
{
    char tmp[4096];
    const ssize_t r = read(s->fd, tmp, sizeof tmp);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (r <= 0) {
        slot_close(a, s, true);
        return;
    }
    size_t k = sizeof s->reply - 1 - s->reply_len;
    k = (size_t)r < k ? (size_t)r : k;
    memcpy(s->reply + s->reply_len, tmp, k);
    s->reply_len += k;
    s->reply[s->reply_len] = 0;
    if (s->after == AFTER_READ && s->reply_len >= 12) /* the status line is all it wants */
        slot_close(a, s, false);
}

static void *attack_main(void *arg)
{
    attack *a = arg;
    struct pollfd *p = calloc((size_t)a->n, sizeof *p);
    int *idx = calloc((size_t)a->n, sizeof *idx);
    if (!p || !idx)
        abort();
    while (!atomic_load(&a->stop)) {
        int64_t now = now_ms(), wake = now + 20;
        int np = 0;
        for (int i = 0; i < a->n; i++) {
            slot *s = &a->s[i];
            if (s->fd < 0 && now >= s->next_ms)
                slot_connect(a, s, now);
            if (s->fd < 0) {
                wake = s->next_ms < wake ? s->next_ms : wake;
                continue;
            }
            if (s->read_until && now >= s->read_until) {
                slot_close(a, s, false);
                wake = now; /* its next connection */
                continue;
            }
            short ev = s->repeat || s->deaf ? 0 : POLLIN; /* a client that never reads */
            if (slot_sending(s)) {
                if (!s->gap_ms || s->budget)
                    ev |= POLLOUT;
                else if (now >= s->next_ms)
                    ev |= POLLOUT;
                else
                    wake = s->next_ms < wake ? s->next_ms : wake;
            }
            p[np] = (struct pollfd){.fd = s->fd, .events = ev};
            idx[np++] = i;
        }
        const int64_t t = wake - now;
        if (poll(p, (nfds_t)np, t > 0 ? (int)t : 0) < 0 && errno != EINTR)
            break;
        now = now_ms();
        for (int j = 0; j < np; j++) {
            slot *s = &a->s[idx[j]];
            if (s->fd < 0)
                continue;
            if ((p[j].revents & POLLOUT) || (slot_sending(s) && s->gap_ms && now >= s->next_ms))
                if (!slot_send(a, s, now))
                    continue;
            if (p[j].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (s->repeat)
                    slot_close(a, s, true); /* hung up on: it cannot read, it never does */
                else
                    slot_read(a, s);
            }
        }
    }
    for (int i = 0; i < a->n; i++)
        if (a->s[i].fd >= 0)
            slot_close(a, &a->s[i], false);
    free(p);
    free(idx);
    return NULL;
}

/* ------------------------------------------------------------ the five attacks */

static void arm_churn(attack *a, slot *s)
{
    const uint64_t r = rng_next(&a->rng);
    const int kind = (int)(r % N_KINDS);
    s->head = kind == K_RANDOM ? &randoms[(r >> 8) % N_RANDOM] : &churn[kind];
    s->body = 0;
    s->gap_ms = 0;
    s->repeat = false;
    /* half of them hang up at once: edged answers a client that is gone */
    s->after = (r >> 16) & 1 ? AFTER_CLOSE : AFTER_READ;
    s->read_ms = 100;
    s->reconnect_ms = 0;
}

static void arm_slowloris(attack *a, slot *s)
{
    (void)a;
    *s = (slot){.fd = -1,
                .head = &loris,
                .chunk = 1,
                .gap_ms = 300,
                .after = AFTER_HOLD,
                .reconnect_ms = 200};
}

static void arm_slow_body(attack *a, slot *s)
{
    (void)a;
    /* 32 KiB every 100 ms: 320 KiB/s, far above min_body_rate, far below 60 MiB in a case */
    *s = (slot){.fd = -1,
                .head = &slow_head,
                .body = SLOW_BODY_BYTES,
                .chunk = 32768,
                .gap_ms = 100,
                .after = AFTER_HOLD,
                .reconnect_ms = 1000 /* Retry-After: 1 */};
}

static void arm_never_read(attack *a, slot *s)
{
    /* slot 0 pipelines small requests, the others 1 MiB echo requests with 1 MiB replies */
    const bool big = s != &a->s[0];
    *s = (slot){.fd = -1,
                .head = big ? &pipe_big : &pipe_small,
                .repeat = true,
                .after = AFTER_HOLD,
                .reconnect_ms = 100};
}

/* The flood of issue 44: garbage as fast as the sockets allow. Most clients send 300 random
 * bytes and never read the 400 nor close (edged lingers after its reply, for the client's
 * EOF); one in eleven connects, sends its garbage and hangs up at once. */
static void arm_junk_flood(attack *a, slot *s)
{
    const uint64_t r = rng_next(&a->rng);
    const bool churner = (s - a->s) % 11 == 0;
    *s = (slot){.fd = -1,
                .head = &randoms[r % N_RANDOM],
                .deaf = !churner,
                .after = churner ? AFTER_CLOSE : AFTER_HOLD};
}

/* Keep-alive clients that made one request, read the reply, and then sit idle. */
static void arm_keepalive(attack *a, slot *s)
{
    (void)a;
    *s = (slot){.fd = -1, .head = &pipe_small, .after = AFTER_HOLD, .reconnect_ms = 500};
}

static void arm_idle(attack *a, slot *s)
{
    (void)a;
    static const buf none = {"", 0};
    *s = (slot){.fd = -1, .head = &none, .after = AFTER_HOLD, .reconnect_ms = 500};
}

/* ------------------------------------------------------------ one case */

typedef struct hcase {
    const char *name;
    const char *conf; /* config lines under [server] (and more sections) */
    int n_slots;
    void (*arm)(attack *a, slot *s);
    int attack_ms;
    int good_interval_ms;
    long rss_cap_kb;   /* during and after: RSS below this (0: start + 64 MiB) */
    int max_good_ms;   /* every good request within this (0: no bound but the p99's) */
    long min_connects; /* the attack must have made this many connections */
    int min_open;      /* ... and held this many open at once */
    bool any_latency;  /* a functional case: every good request answered, whatever it took */
} hcase;

typedef struct result {
    long rss0, rss_max, rss_after;
    double q_p99, a_p99, a_max;
    size_t q_n, a_n;
    long failed;
    char first_failure[256];
    bool alive, answers, aborted;
    int exit_status;
    char final_why[200];
    attack a;
    double seconds;
} result;

/* The [server] options of issue 15 (max_buffered_bytes) are in every case's config; an edged
 * from before them refuses unknown options, so EDGED_HOSTILE_OLD_CONFIG=1 leaves them out (to
 * measure the figures before the fix). */
static bool old_config(void)
{
    const char *old = getenv("EDGED_HOSTILE_OLD_CONFIG");
    return old && old[0] == '1';
}

/* EDGED_HOSTILE_LATENCY=1 (by hand, on a quiet machine) also asserts the latency bounds: the
 * good client's p99 under attack within P99_FACTOR of its quiet p99, and max_good_ms. By
 * default they are printed, not asserted: a functional test asserts behaviour, never a speed,
 * and the suite must pass with a CPU hog on every core (issue 44). */
static bool latency_checked(void)
{
    const char *v = getenv("EDGED_HOSTILE_LATENCY");
    return v && v[0] == '1';
}

/* One good request's bound outside the attack (the first, the one after it, the Unix socket's
 * beside held ports): GOOD_TIMEOUT_MS where latency is asserted, else GOOD_PATIENT_MS. What these
 * check is that edged answers; the last comes right after thousands of attack connections and,
 * in CI's load stage, beside a CPU hog on every core. */
static int good_bound_ms(void)
{
    return latency_checked() ? GOOD_TIMEOUT_MS : GOOD_PATIENT_MS;
}

/* Raise the soft limit on open files to the hard one; the case skips (saying why) when that
 * is below what it needs. */
static void need_fds(const hcase *hc)
{
    struct rlimit r;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &r), 0);
    if (r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &r), 0);
    }
    const rlim_t need = (rlim_t)hc->n_slots + 256;
    if (r.rlim_cur < need) {
        printf("# SKIP %s: it needs %lu open files (edged as many), the hard limit is %lu\n",
               hc->name, (unsigned long)need, (unsigned long)r.rlim_cur);
        skip();
    }
}

static void good_start(good *g, int interval_ms, int timeout_ms)
{
    memset(g, 0, sizeof *g);
    g->interval_ms = interval_ms;
    g->timeout_ms = timeout_ms;
    g->cap = 200000;
    g->lat[0] = malloc(g->cap * sizeof(double));
    g->lat[1] = malloc(g->cap * sizeof(double));
    assert_true(g->lat[0] && g->lat[1]);
    pthread_mutex_init(&g->mu, NULL);
    assert_int_equal(pthread_create(&g->th, NULL, good_main, g), 0);
}

/* Watch edged while the attack runs (MS, and on until it has made what HC asks for: at most
 * ATTACK_MAX_MS): RSS every 50 ms; false when edged died or went past the safety limit (the
 * attack then stops early). */
static bool watch(result *r, const hcase *hc, int ms)
{
    const int64_t t0 = now_ms(), end = t0 + ms, end_max = t0 + ATTACK_MAX_MS;
    for (;;) {
        const int64_t now = now_ms();
        const bool made = atomic_load(&r->a.seen_connects) >= hc->min_connects &&
                          atomic_load(&r->a.seen_open_max) >= hc->min_open;
        if (now >= end_max || (now >= end && made))
            break;
        int st;
        if (!dfx_alive(&F, &st)) {
            r->exit_status = st;
            return false;
        }
        const long kb = dfx_rss_kb(&F);
        r->rss_max = kb > r->rss_max ? kb : r->rss_max;
        if (kb > SAFETY_KB && !DFX_UNDER_ASAN) {
            r->aborted = true;
            return false;
        }
        sleep_ms(50);
    }
    return true;
}

/* After the attack: wait up to SETTLE_MS for RSS to come back under LIMIT. */
static void settle(result *r, long limit)
{
    const int64_t end = now_ms() + SETTLE_MS;
    do {
        r->rss_after = dfx_rss_kb(&F);
        if (r->rss_after >= 0 && r->rss_after <= limit)
            return;
        sleep_ms(100);
    } while (now_ms() < end);
}

static void start_edged(const hcase *hc)
{
    char conf[1024];
    snprintf(conf, sizeof conf, "%s[scheduler]\nworkers = 2\n", hc->conf);
    if (dfx_start(&F, conf) != 0)
        fail_msg("%s: edged did not start (config: %s; log %s)", hc->name, conf, F.log);
}

/* Everything the case does, stopping every thread, socket and process it started before it
 * returns; the checks come after (check_case). */
static void run_case(const hcase *hc, result *r)
{
    memset(r, 0, sizeof *r);
    const int64_t t0 = now_ms();
    start_edged(hc);
    char why[200];
    good_ref_len = 0;
    if (good_once(good_bound_ms(), why, sizeof why) != 0)
        fail_msg("%s: the first good request failed: %s", hc->name, why);
    static good g;
    /* without latency bounds a good request waits as long as it takes (a busy machine, a full
     * backlog): it fails only when it is refused or never answered */
    const bool timed = latency_checked() && !hc->any_latency;
    good_start(&g, hc->good_interval_ms, timed ? GOOD_TIMEOUT_MS : GOOD_PATIENT_MS);
    sleep_ms(QUIET_MS);
    r->rss0 = dfx_rss_kb(&F);
    r->rss_max = r->rss0;
    pthread_mutex_lock(&g.mu);
    atomic_store(&g.phase, 1);
    pthread_mutex_unlock(&g.mu);
    attack *a = &r->a;
    a->n = hc->n_slots;
    a->arm = hc->arm;
    a->rng = 0x9e3779b97f4a7c15ull;
    a->s = calloc((size_t)a->n, sizeof *a->s);
    assert_non_null(a->s);
    for (int i = 0; i < a->n; i++)
        a->s[i].fd = -1;
    atomic_store(&a->stop, false);
    const bool attacking = pthread_create(&a->th, NULL, attack_main, a) == 0;
    r->alive = attacking && watch(r, hc, hc->attack_ms);
    atomic_store(&a->stop, true);
    if (attacking)
        pthread_join(a->th, NULL);
    atomic_store(&g.stop, true);
    pthread_join(g.th, NULL);
    free(a->s);
    a->s = NULL;
    r->q_n = g.n[0];
    r->a_n = g.n[1];
    r->q_p99 = percentile(g.lat[0], g.n[0], 99);
    r->a_p99 = percentile(g.lat[1], g.n[1], 99);
    r->a_max = percentile(g.lat[1], g.n[1], 100);
    r->failed = g.failed[0] + g.failed[1];
    snprintf(r->first_failure, sizeof r->first_failure, "%s", g.first_failure);
    free(g.lat[0]);
    free(g.lat[1]);
    pthread_mutex_destroy(&g.mu);
    if (r->alive) {
        const long limit = hc->rss_cap_kb ? hc->rss_cap_kb : r->rss0 + RSS_SLACK_KB;
        settle(r, r->rss0 + RSS_SLACK_KB < limit ? r->rss0 + RSS_SLACK_KB : limit);
        r->answers = good_once(good_bound_ms(), r->final_why, sizeof r->final_why) == 0;
        r->exit_status = dfx_stop(&F, SIGTERM);
    }
    r->seconds = (double)(now_ms() - t0) / 1000.0;
}

static void report(const hcase *hc, const result *r)
{
    const attack *a = &r->a;
    printf("# %s: %.1f s; attack: %ld connections (%ld backlog retries, %ld errors), at most "
           "%d open, %ld closed by edged (%ld without a reply); replies 2xx %ld 4xx %ld "
           "(408: %ld) 5xx %ld (503: %ld) other %ld\n",
           hc->name, r->seconds, a->connects, a->retries, a->connect_errors, a->open_max,
           a->closed_by_edged, a->no_reply, a->status[2], a->status[4], a->s408, a->status[5],
           a->s503, a->status[0] + a->status[1] + a->status[3]);
    printf("# %s: good client: %zu quiet requests, p99 %.2f ms; %zu under attack, p99 %.2f ms, "
           "max %.2f ms; %ld failed%s%s\n",
           hc->name, r->q_n, r->q_p99, r->a_n, r->a_p99, r->a_max, r->failed,
           r->failed ? ", the first: " : "", r->first_failure);
    printf("# %s: edged VmRSS %ld kB at the start, at most %ld kB during, %ld kB after; %s, "
           "exit status %d\n",
           hc->name, r->rss0, r->rss_max, r->rss_after,
           !r->alive    ? "DIED during the attack"
           : r->answers ? "answers at the end"
                        : "does NOT answer at the end",
           r->exit_status);
}

static void check_case(const hcase *hc, const result *r)
{
    report(hc, r);
    if (r->aborted)
        fail_msg("%s: edged's RSS went past %ld MiB: the attack was stopped", hc->name,
                 SAFETY_KB / MIB_KB);
    if (!r->alive)
        fail_msg("%s: edged exited during the attack (status %d; log %s)", hc->name, r->exit_status,
                 F.log);
    if (!r->answers)
        fail_msg("%s: edged does not answer after the attack: %s", hc->name, r->final_why);
    if (r->failed)
        fail_msg("%s: %ld good request(s) failed; the first: %s", hc->name, r->failed,
                 r->first_failure);
    if (r->a.connects < hc->min_connects || r->a.open_max < hc->min_open)
        fail_msg("%s: the attack did not happen as meant: %ld connections (at least %ld), %d "
                 "open at once (at least %d)",
                 hc->name, r->a.connects, hc->min_connects, r->a.open_max, hc->min_open);
    if (r->exit_status != 0)
        fail_msg(
            "%s: edged exited %d on SIGTERM (a leak LeakSanitizer found makes it non-zero); log %s",
            hc->name, r->exit_status, F.log);
    if (DFX_UNDER_ASAN) {
        printf("# %s: RSS and latency not checked: AddressSanitizer's quarantine holds freed "
               "memory and it slows everything down\n",
               hc->name);
        return;
    }
    const double q = r->q_p99 > P99_FLOOR_MS ? r->q_p99 : P99_FLOOR_MS;
    if (hc->any_latency || !latency_checked())
        printf("# %s: latency not asserted (%s)\n", hc->name,
               hc->any_latency ? "a functional case"
                               : "EDGED_HOSTILE_LATENCY=1 asserts it, on a quiet machine");
    else if (r->a_p99 > P99_FACTOR * q)
        fail_msg("%s: the good client's p99 under attack is %.2f ms, over %.0fx its quiet p99 "
                 "(%.2f ms, at least %.0f)",
                 hc->name, r->a_p99, P99_FACTOR, r->q_p99, P99_FLOOR_MS);
    if (!hc->any_latency && latency_checked() && hc->max_good_ms && r->a_max > hc->max_good_ms)
        fail_msg("%s: a good request took %.0f ms (at most %d)", hc->name, r->a_max,
                 hc->max_good_ms);
    const long cap = hc->rss_cap_kb ? hc->rss_cap_kb : r->rss0 + RSS_SLACK_KB;
    if (r->rss_max > cap)
        fail_msg("%s: edged's RSS reached %ld kB, over %ld kB (%s)", hc->name, r->rss_max, cap,
                 hc->rss_cap_kb ? "max_buffered_bytes + 64 MiB" : "64 MiB above the start");
    if (r->rss_after > r->rss0 + RSS_SLACK_KB)
        fail_msg("%s: edged's RSS is %ld kB %d s after the attack, more than 64 MiB above the "
                 "%ld kB it started with",
                 hc->name, r->rss_after, SETTLE_MS / 1000, r->rss0);
}

static void run_and_check(const hcase *hc)
{
    if (dfx_under_wrapper(hc->name))
        skip();
    need_fds(hc);
    result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    run_case(hc, r);
    result copy = *r;
    free(r);
    check_case(hc, &copy);
}

/* ------------------------------------------------------------ the cases */

/* [server] lines of every case but the slow uploads: the cap on buffered bytes is small
 * enough that what it admits fits in the 64 MiB the RSS may grow by. */
#define BUFFERED_SMALL "max_body_bytes = 64M\n"
#define NEW_SMALL "max_buffered_bytes = 32M\n"

static void test_churn_with_garbage(void **state)
{
    (void)state;
    static char conf[256];
    snprintf(conf, sizeof conf, "max_connections = 4096\n" BUFFERED_SMALL "%s",
             old_config() ? "" : NEW_SMALL);
    const hcase hc = {.name = "churn with garbage",
                      .conf = conf,
                      .n_slots = 64,
                      .arm = arm_churn,
                      .attack_ms = 12000,
                      .good_interval_ms = 5,
                      .min_connects = DFX_UNDER_ASAN ? 1000 : 5000};
    run_and_check(&hc);
}

static void test_slowloris(void **state)
{
    (void)state;
    /* more slow clients than max_connections: the newcomer must get a place (the oldest
     * connection without a complete request makes room), and header_timeout_ms ends them */
    const int n = DFX_UNDER_ASAN ? 500 : 1000;
    static char conf[256];
    snprintf(conf, sizeof conf, "max_connections = %d\n" BUFFERED_SMALL "%s", n / 2,
             old_config() ? "" : NEW_SMALL);
    const hcase hc = {.name = "slowloris",
                      .conf = conf,
                      .n_slots = n,
                      .arm = arm_slowloris,
                      .attack_ms = 12000,
                      .good_interval_ms = 100,
                      .max_good_ms = 1000,
                      .min_connects = n,
                      .min_open = n / 2};
    run_and_check(&hc);
}

static void test_slow_uploads(void **state)
{
    (void)state;
    static char conf[256];
    snprintf(conf, sizeof conf, "max_connections = 4096\nmax_body_bytes = 64M\n%s",
             old_config() ? "" : "max_buffered_bytes = 128M\n");
    const hcase hc = {.name = "slow 60 MiB uploads",
                      .conf = conf,
                      .n_slots = DFX_UNDER_ASAN ? 30 : 100,
                      .arm = arm_slow_body,
                      .attack_ms = 12000,
                      .good_interval_ms = 5,
                      .rss_cap_kb = (128 + 64) * MIB_KB,
                      .min_connects = DFX_UNDER_ASAN ? 30 : 100};
    run_and_check(&hc);
}

static void test_never_reads(void **state)
{
    (void)state;
    static char conf[256];
    snprintf(conf, sizeof conf, "max_connections = 4096\n" BUFFERED_SMALL "%s",
             old_config() ? "" : NEW_SMALL);
    const hcase hc = {.name = "clients that never read",
                      .conf = conf,
                      .n_slots = 8, /* one with small replies, seven with 1 MiB ones */
                      .arm = arm_never_read,
                      .attack_ms = 8000,
                      .good_interval_ms = 5,
                      .min_connects = 8};
    run_and_check(&hc);
}

static void test_idle_thousands(void **state)
{
    (void)state;
    const int n = DFX_UNDER_ASAN ? 1000 : 3000;
    static char conf[256];
    snprintf(conf, sizeof conf, "max_connections = 4096\n" BUFFERED_SMALL "%s",
             old_config() ? "" : NEW_SMALL);
    const hcase hc = {.name = "idle connections",
                      .conf = conf,
                      .n_slots = n,
                      .arm = arm_idle,
                      .attack_ms = 8000,
                      .good_interval_ms = 5,
                      .min_connects = n,
                      .min_open = n};
    run_and_check(&hc);
}

/* Issue 44's flood: local clients connecting as fast as they can and sending garbage, most
 * of them never reading the 400 nor hanging up, at the default max_connections (256) and no
 * reserved slots. More of them than slots: the ones lingering after their 400 make room
 * (before issue 44 they held every slot and the good client got 503). A functional case:
 * every good request answered (a failed connect counts), whatever it took. */
static void test_junk_flood(void **state)
{
    (void)state;
    static char conf[256];
    snprintf(conf, sizeof conf, "reserved_connections = 0\n" BUFFERED_SMALL "%s",
             old_config() ? "" : NEW_SMALL);
    const int n = DFX_UNDER_ASAN ? 300 : 352; /* 256 slots, and fewer than twice as many */
    const hcase hc = {.name = "garbage flood at the default limits",
                      .conf = conf,
                      .n_slots = n,
                      .arm = arm_junk_flood,
                      .attack_ms = 10000,
                      .good_interval_ms = 5,
                      .min_connects = 2 * n,
                      .min_open = 257,
                      .any_latency = true};
    run_and_check(&hc);
}

/* 1,000 keep-alive clients that made one request each and sit idle, at the default
 * max_connections (256) and no reserved slots: the oldest idle one makes room for the good
 * client (before issue 44 they were never closed, and every other client got 503). */
static void test_idle_keepalives(void **state)
{
    (void)state;
    static char conf[256];
    snprintf(conf, sizeof conf, "reserved_connections = 0\n" BUFFERED_SMALL "%s",
             old_config() ? "" : NEW_SMALL);
    const int n = DFX_UNDER_ASAN ? 500 : 1000;
    const hcase hc = {.name = "idle keep-alive connections at the default limits",
                      .conf = conf,
                      .n_slots = n,
                      .arm = arm_keepalive,
                      .attack_ms = 8000,
                      .good_interval_ms = 5,
                      .min_connects = n,
                      .min_open = 257,
                      .any_latency = true};
    run_and_check(&hc);
}

/* ------------------------------------------------------------ the DeepStack port */

static int tcp_connect(int port)
{
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    return fd;
}

/* Send REQ (LEN bytes) on FD and read one reply into OUT (NUL-terminated): its status, or -1
 * (with what came in OUT) when no whole reply arrives within 10 s. */
static int exchange(int fd, const char *req, size_t len, char *out, size_t cap)
{
    for (size_t sent = 0; sent < len;) {
        const ssize_t w = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* edged may answer (431, 413) before reading it all */
        sent += (size_t)w;
    }
    size_t n = 0;
    out[0] = 0;
    const int64_t end = now_ms() + 10000;
    for (;;) {
        const char *h = strstr(out, "\r\n\r\n");
        const char *cl = h ? strcasestr(out, "\r\nContent-Length:") : NULL;
        if (h && cl && n >= (size_t)(h + 4 - out) + strtoul(cl + 17, NULL, 10))
            return atoi(out + 9);
        const int64_t left = end - now_ms();
        if (left <= 0 || n + 1 >= cap ||
            poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, (int)left) != 1)
            return -1;
        const ssize_t r = read(fd, out + n, cap - 1 - n);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        out[n] = 0;
    }
}

static const char *reply_body(const char *reply)
{
    const char *b = strstr(reply, "\r\n\r\n");
    return b ? b + 4 : "";
}

/* edged closed FD (EOF within 5 s, after any reply bytes). */
static bool closed_by_edged(int fd)
{
    char tmp[4096];
    while (poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 5000) == 1)
        if (read(fd, tmp, sizeof tmp) <= 0)
            return true;
    return false;
}

/* FD is open: nothing to read, no EOF. */
static bool still_open(int fd)
{
    return poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 0) == 0;
}

static const char LIST_REQ[] =
    "POST /v1/vision/custom/list HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";

/* Each listener has its own slots: idle keep-alive clients holding every slot of the
 * DeepStack port ([vision] listen, LAN-facing in the docs) leave the Unix socket's alone
 * (before issue 44 the Unix-socket client got 503), and a newcomer on that port closes its
 * oldest idle one, not one of the Unix socket's. */
static void test_listener_slots(void **state)
{
    (void)state;
    if (dfx_under_wrapper("listener slots"))
        skip();
    enum { SLOTS = 16 };
    const int port = dfx_free_port();
    char conf[256], out[8192];
    snprintf(conf, sizeof conf,
             "max_connections = %d\nreserved_connections = 0\n[vision]\nlisten = 127.0.0.1:%d\n",
             SLOTS, port);
    if (dfx_start(&F, conf) != 0)
        fail_msg("edged did not start (config: %s; log %s)", conf, F.log);
    int held[SLOTS];
    for (int i = 0; i < SLOTS; i++) {
        held[i] = tcp_connect(port);
        const int st = exchange(held[i], LIST_REQ, sizeof LIST_REQ - 1, out, sizeof out);
        if (st != 200)
            fail_msg("DeepStack port client %d: status %d: %.200s", i, st, out);
    }
    char why[200];
    good_ref_len = 0;
    if (good_once(good_bound_ms(), why, sizeof why) != 0)
        fail_msg("with every slot of the DeepStack port held, the Unix socket's client: %s", why);
    for (int i = 0; i < SLOTS; i++)
        if (!still_open(held[i]))
            fail_msg("DeepStack port client %d was closed for the Unix socket's", i);
    /* a newcomer on the DeepStack port: its oldest idle connection makes room */
    const int late = tcp_connect(port);
    const int st = exchange(late, LIST_REQ, sizeof LIST_REQ - 1, out, sizeof out);
    if (st != 200)
        fail_msg("a newcomer on the full DeepStack port: status %d: %.200s", st, out);
    assert_true(closed_by_edged(held[0]));
    for (int i = 1; i < SLOTS; i++)
        assert_true(still_open(held[i]));
    close(late);
    for (int i = 0; i < SLOTS; i++)
        close(held[i]);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

/* Refusals made before routing on the DeepStack port come in its shape,
 * {"success":false,"error":...,"code":STATUS} (docs/protocol.md); the Unix socket's stay
 * {"error":...}. */
static void test_deepstack_refusals(void **state)
{
    (void)state;
    if (dfx_under_wrapper("DeepStack refusals"))
        skip();
    const int port = dfx_free_port();
    char conf[256], out[8192];
    snprintf(conf, sizeof conf, "max_body_bytes = 1M\n[vision]\nlisten = 127.0.0.1:%d\n", port);
    if (dfx_start(&F, conf) != 0)
        fail_msg("edged did not start (config: %s; log %s)", conf, F.log);
    static char big_head[24000];
    const int hl = snprintf(big_head, sizeof big_head,
                            "POST /v1/vision/detection HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big_head + hl, 'a', sizeof big_head - (size_t)hl - 5);
    memcpy(big_head + sizeof big_head - 5, "\r\n\r\n", 5);
    static const char too_big[] =
        "POST /v1/vision/detection HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
        "boundary=z\r\nContent-Length: 2000000\r\n\r\n";
    static const char junk[] = "\x16\x03\x01 not HTTP at all\r\n\r\n";
    const struct {
        const char *what, *req;
        size_t len;
        int status;
    } cases[] = {
        {"headers over max_header_bytes", big_head, sizeof big_head - 1, 431},
        {"a body over max_body_bytes", too_big, sizeof too_big - 1, 413},
        {"garbage", junk, sizeof junk - 1, 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int fd = tcp_connect(port);
        const int st = exchange(fd, cases[i].req, cases[i].len, out, sizeof out);
        close(fd);
        char want[64];
        snprintf(want, sizeof want, "\"code\":%d", cases[i].status);
        const char *b = reply_body(out);
        if (st != cases[i].status || strncmp(b, "{\"success\":false,\"error\":\"", 26) != 0 ||
            !strstr(b, want))
            fail_msg("DeepStack port, %s: expected %d {\"success\":false,\"error\":...,%s}, got "
                     "%d: %.300s",
                     cases[i].what, cases[i].status, want, st, out);
        printf("# DeepStack port, %s: %d %s\n", cases[i].what, st, b);
    }
    /* the Unix socket keeps the Open Inference Protocol's shape */
    const int fd = unix_socket(false);
    assert_true(fd >= 0);
    assert_int_equal(unix_connect(fd), 0);
    const int st = exchange(fd, too_big, sizeof too_big - 1, out, sizeof out);
    close(fd);
    if (st != 413 || strncmp(reply_body(out), "{\"error\":\"", 10) != 0)
        fail_msg("the Unix socket, a body over max_body_bytes: %d %.300s", st, out);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

/* A multipart/form-data request to PATH with the fields of FORM ("name=value" lines, NULL:
 * none). */
static buf form_request(const char *path, const char *const *form)
{
    char body[1024];
    size_t n = 0;
    for (const char *const *f = form; f && *f; f++) {
        const char *eq = strchr(*f, '=');
        n += (size_t)snprintf(body + n, sizeof body - n,
                              "--zz\r\nContent-Disposition: form-data; name=\"%.*s\"\r\n\r\n%s\r\n",
                              (int)(eq - *f), *f, eq + 1);
    }
    n += (size_t)snprintf(body + n, sizeof body - n, "--zz--\r\n");
    return buf_printf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                      "boundary=zz\r\nContent-Length: %zu\r\n\r\n%s",
                      path, n, body);
}

/* [vision] api_key with api_key_exempt: a CodeProject.AI-style client that sends no key is
 * served on the listed endpoints; a DeepStack / Home Assistant client sending the key is
 * served everywhere; without the key elsewhere: 401. */
static void test_api_key_exempt(void **state)
{
    (void)state;
    if (dfx_under_wrapper("api_key_exempt"))
        skip();
    const int port = dfx_free_port();
    char conf[256], out[8192];
    snprintf(conf, sizeof conf,
             "[vision]\nlisten = 127.0.0.1:%d\napi_key = k3y\napi_key_exempt = custom/list\n",
             port);
    if (dfx_start(&F, conf) != 0)
        fail_msg("edged did not start (config: %s; log %s)", conf, F.log);
    static const char *const no_key[] = {"min_confidence=0.5", NULL};
    static const char *const with_key[] = {"api_key=k3y", "min_confidence=0.5", NULL};
    static const char *const wrong_key[] = {"api_key=nope", NULL};
    const struct {
        const char *what, *path;
        const char *const *form;
        int status;
        const char *needle;
    } cases[] = {
        {"the list without a key (exempt)", "/v1/vision/custom/list", NULL, 200,
         "\"success\":true"},
        {"the list with the key", "/v1/vision/custom/list", with_key, 200, "\"success\":true"},
        {"the list with a wrong key (exempt: not checked)", "/v1/vision/custom/list", wrong_key,
         200, "\"success\":true"},
        {"detection without a key", "/v1/vision/detection", no_key, 401,
         "an api_key field is required"},
        {"detection with a wrong key", "/v1/vision/detection", wrong_key, 401, "incorrect api_key"},
        /* past the key: the form has no picture */
        {"detection with the key", "/v1/vision/detection", with_key, 400, "no image field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf req = form_request(cases[i].path, cases[i].form);
        const int fd = tcp_connect(port);
        const int st = exchange(fd, req.data, req.len, out, sizeof out);
        close(fd);
        free(req.data);
        if (st != cases[i].status || !strstr(reply_body(out), cases[i].needle))
            fail_msg("%s: expected %d with '%s', got %d: %.300s", cases[i].what, cases[i].status,
                     cases[i].needle, st, out);
    }
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

static int case_teardown(void **state)
{
    (void)state;
    if (F.pid > 0) /* a case that failed before stopping it */
        dfx_stop(&F, SIGKILL);
    return 0;
}

/* The repository: the digits demo (dfx_init), person_detect and the echo model. */
static int setup(void **state)
{
    (void)state;
    if (dfx_init(&F, NULL))
        return -1;
    F.log_to_file = true;
    sock_addr.sun_family = AF_UNIX;
    if (strlen(F.sock) >= sizeof sock_addr.sun_path)
        return -1;
    memcpy(sock_addr.sun_path, F.sock, strlen(F.sock) + 1);
    char path[512], target[512];
    snprintf(target, sizeof target, "%s/models/person_detect/model.tflite", shared);
    snprintf(path, sizeof path, "%s/person_detect.tflite", F.models);
    if (symlink(target, path))
        return -1;
    snprintf(path, sizeof path, "%s/echo.tflite", F.models);
    if (write_echo_model(path))
        return -1;
    build_payloads();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dfx_cleanup(&F);
    free_payloads();
    return 0;
}

int main(void)
{
    if (!(shared = dfx_shared_or_skip()))
        return EDGE_TEST_SKIP;
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_churn_with_garbage, case_teardown),
        cmocka_unit_test_teardown(test_slowloris, case_teardown),
        cmocka_unit_test_teardown(test_slow_uploads, case_teardown),
        cmocka_unit_test_teardown(test_never_reads, case_teardown),
        cmocka_unit_test_teardown(test_idle_thousands, case_teardown),
        cmocka_unit_test_teardown(test_junk_flood, case_teardown),
        cmocka_unit_test_teardown(test_idle_keepalives, case_teardown),
        cmocka_unit_test_teardown(test_listener_slots, case_teardown),
        cmocka_unit_test_teardown(test_deepstack_refusals, case_teardown),
        cmocka_unit_test_teardown(test_api_key_exempt, case_teardown),
    };
    const char *only = getenv("EDGED_HOSTILE_CASE"); /* one case, by hand: test_slowloris */
    if (only && only[0])
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, setup, teardown);
}
