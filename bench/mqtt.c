/* bench/mqtt.c - edged's MQTT front end against the broker's own echo floor, measured in one run.
 *
 * Owns: the MQTT benchmarks (bench/README.md, "bench-mqtt"), each printed with its anchor from
 * the same run and the ratio:
 *   1. hello_world round trip through a mosquitto broker (raw 1-byte input with the content type
 *      application/octet-stream, a v5 response topic and correlation data, raw bytes back), at
 *      QoS 0 and QoS 1, against ../shared/anchors/mqtt_rtt.c (publish, broker, echo client,
 *      broker, back) on the same broker with the same payload size and QoS, run interleaved
 *      (anchor, edged, anchor, edged, ...) in each CPU layout: target p50 <= 1.3x the anchor's;
 *   2. person_detect throughput at QoS 1 with [scheduler] workers = 2 and a window of requests
 *      outstanding, against the same model run directly through libedge on 2 threads (two
 *      interpreters), interleaved.
 * Every reply is checked against the model's expected output (SHARED/models/M/expected_0.bin),
 * and edged's own count (/metrics) against the requests sent; a wrong, failed or missing reply
 * makes the exit status 1. edged's log warnings and errors are printed last.
 * It starts its own mosquitto (127.0.0.1, a free port) and two edged (QoS 0 and QoS 1, one
 * repository linking hello_world_int8 and person_detect) in a temporary folder, keeps their logs
 * there, and stops them; the folder is removed unless --keep or something broke.
 * Usage: bench-mqtt EDGED_BIN ANCHOR_MQTT_RTT [SHARED_DIR] [options]; --help says which. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "edge/client.h"
#include "edge/runtime.h"
#include "common.h"
#include "edged_proc.h"

#define REPLY_TIMEOUT_US 10e6 /* a request unanswered this long is missing */
#define ANCHOR_TIMEOUT_S 120  /* an anchor run that takes longer is stopped */
#define WARMUP 100            /* round trips before the timed ones */
#define TARGET_RATIO 1.3

typedef struct opts {
    int iters, rounds, window, layouts;
    double seconds;
    bool keep;
} opts;

static const char *edged_bin, *anchor_bin;
static char shared[4096], dir[64], models[128];
static bool anchor_ok; /* the anchor is there to run */
static bool broke;     /* something failed: exit status 1, the folder is kept */
static cpu_set_t all_cpus;
static int cpu_a, cpu_b; /* the first two CPUs this process may use */

/* ------------------------------------------------------------ helpers */

/* The K-th percentile of the sorted V (N values), as the anchor takes it. */
static double pct(const double *v, size_t n, int k)
{
    return n ? v[n * (size_t)k / 100] : 0.0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "bench-mqtt: remove %s: %s\n", path, strerror(errno));
    return 0;
}

/* Pin every thread of PID (CPU < 0: all of this process's CPUs). */
static int pin_pid(pid_t pid, int cpu)
{
    cpu_set_t set = all_cpus;
    if (cpu >= 0) {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && sched_setaffinity(atoi(e->d_name), sizeof set, &set) != 0 &&
            errno != ESRCH)
            rc = -1;
    closedir(d);
    return rc;
}

static int pin_self(int cpu)
{
    cpu_set_t set = all_cpus;
    if (cpu >= 0) {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
    }
    return sched_setaffinity(0, sizeof set, &set);
}

/* ------------------------------------------------------------ the broker */

static pid_t broker_pid = -1;
static int broker_port;
static char broker_log[128], broker_version[32] = "?";

static void broker_stop(void)
{
    bench_broker_stop(&broker_pid);
}

/* mosquitto on 127.0.0.1 and a free port (another one when it was taken meanwhile). */
static int broker_start(void)
{
    snprintf(broker_log, sizeof broker_log, "%s/mosquitto.log", dir);
    broker_pid = bench_broker_start(dir, &broker_port, broker_version, sizeof broker_version);
    return broker_pid > 0 ? 0 : -1;
}

/* ------------------------------------------------------------ edged */

typedef struct edged {
    int qos;
    pid_t pid;
    char conf[128], sock[128], log[128], prefix[64];
} edged;

static int edged_start(edged *e, int qos, int workers, int max_inflight)
{
    e->qos = qos;
    snprintf(e->conf, sizeof e->conf, "%s/edged-qos%d.conf", dir, qos);
    snprintf(e->sock, sizeof e->sock, "%s/edged-qos%d.sock", dir, qos);
    snprintf(e->log, sizeof e->log, "%s/edged-qos%d.log", dir, qos);
    snprintf(e->prefix, sizeof e->prefix, "bench-mqtt-%d/qos%d", (int)getpid(), qos);
    if (bench_write_text(
            e->conf,
            "[server]\nsocket = %s\n[models]\nrepository = %s\n[scheduler]\nworkers = %d\n"
            "[mqtt]\nhost = 127.0.0.1\nport = %d\nprotocol = 5\nclient_id = bench-mqtt-edged-%d-"
            "qos%d\ntopic_prefix = %s\nqos = %d\nmax_inflight = %d\n[log]\nlevel = info\n",
            e->sock, models, workers, broker_port, (int)getpid(), qos, e->prefix, qos,
            max_inflight))
        return -1;
    e->pid = bench_edged_start(edged_bin, e->conf, e->sock, e->log);
    if (e->pid <= 0) {
        fprintf(stderr, "bench-mqtt: %s did not become ready on %s; see %s\n", edged_bin, e->sock,
                e->log);
        return -1;
    }
    return 0;
}

/* edged's MQTT counters from /metrics: received, replies, error replies, connection losses. */
static int edged_mqtt_counts(const edged *e, double out[4])
{
    static const char *const names[4] = {
        "\nedged_mqtt_requests_total ", "\nedged_mqtt_replies_total ",
        "\nedged_mqtt_error_replies_total ", "\nedged_mqtt_connection_losses_total "};
    edge_client *c = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = -1;
    if (edge_client_new(e->sock, NULL, &c) == 0 && edge_client_metrics(c, &text, &len) == 0) {
        rc = 0;
        for (int i = 0; i < 4; i++) {
            const char *p = strstr(text, names[i]);
            out[i] = p ? atof(p + strlen(names[i])) : -1;
        }
    }
    free(text);
    edge_client_free(c);
    return rc;
}

/* edged's own count of its MQTT requests and replies against SENT (what the bench published). */
static void check_counts(const edged *e, long sent, char *line, size_t len)
{
    double c[4];
    if (edged_mqtt_counts(e, c) != 0) {
        snprintf(line, len, "   qos %d: cannot read /metrics on %s\n", e->qos, e->sock);
        broke = true;
        return;
    }
    const bool ok = c[0] == (double)sent && c[1] == (double)sent && c[2] == 0 && c[3] == 0;
    snprintf(line, len,
             "   qos %d: /metrics: %.0f requests received, %.0f replies (%.0f errors), %.0f "
             "connection losses; the bench sent %ld%s\n",
             e->qos, c[0], c[1], c[2], c[3], sent, ok ? "" : "  <- MISMATCH");
    broke = broke || !ok;
}

/* ------------------------------------------------------------ the MQTT client */

/* One request awaiting its reply; the correlation data is its index and sequence number. */
typedef struct slot {
    uint32_t seq;
    bool busy, timed;
    double sent_us;
} slot;

typedef struct client {
    struct mosquitto *m;
    int qos;
    char topic[160], reply_topic[96], status_topic[96];
    bool connected, online;
    int connect_rc, subacks, sub_refused;
    /* the measurement under way */
    const uint8_t *expect;
    size_t expect_len;
    slot *slots;
    uint32_t n_slots, outstanding, next_seq, hint;
    double end_us; /* replies before this count for the rate */
    long in_time;  /* replies received before end_us */
    double *lat;   /* latencies of timed requests (us) */
    size_t n_lat, cap_lat;
    long ok, wrong, errors, stray, missing;
    char problem[256]; /* the first wrong or failed reply */
} client;

static void on_connect(struct mosquitto *m, void *arg, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)m, (void)flags, (void)props;
    client *c = arg;
    c->connect_rc = rc;
    c->connected = rc == 0;
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *granted,
                         const mosquitto_property *props)
{
    (void)m, (void)mid, (void)props;
    client *c = arg;
    c->subacks++;
    for (int i = 0; i < n; i++)
        c->sub_refused += granted[i] >= 128;
}

/* The v5 user property "status" of a reply (0 when absent). */
static int reply_status(const mosquitto_property *props)
{
    char *k = NULL, *v = NULL;
    int status = 0;
    const mosquitto_property *p =
        mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY, &k, &v, false);
    while (p) {
        if (!strcmp(k, "status"))
            status = atoi(v);
        free(k);
        free(v);
        k = v = NULL;
        p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &k, &v, true);
    }
    return status;
}

static void note(client *c, const char *what, const struct mosquitto_message *msg)
{
    if (c->problem[0])
        return;
    const int n = msg->payloadlen < 120 ? msg->payloadlen : 120;
    bool text = true;
    for (int i = 0; i < n; i++)
        text = text && ((const uint8_t *)msg->payload)[i] >= 0x20;
    snprintf(c->problem, sizeof c->problem, "%s (%d bytes%s%.*s)", what, msg->payloadlen,
             text ? ": " : "", text ? n : 0, (const char *)msg->payload);
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)m;
    const double t = bench_now_us();
    client *c = arg;
    if (!strcmp(msg->topic, c->status_topic)) {
        c->online = msg->payloadlen == 6 && !memcmp(msg->payload, "online", 6);
        return;
    }
    void *corr = NULL;
    uint16_t corr_len = 0;
    uint32_t id[2] = {UINT32_MAX, 0};
    mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &corr_len, false);
    if (corr && corr_len == sizeof id)
        memcpy(id, corr, sizeof id);
    free(corr);
    if (id[0] >= c->n_slots || !c->slots[id[0]].busy || c->slots[id[0]].seq != id[1]) {
        c->stray++; /* a duplicate, or a reply to a request given up on */
        note(c, "a reply matching no request", msg);
        return;
    }
    slot *s = &c->slots[id[0]];
    s->busy = false;
    c->outstanding--;
    c->in_time += t <= c->end_us;
    const int status = reply_status(props);
    if (status != 200) {
        c->errors++;
        note(c, "status is not 200", msg);
    } else if ((size_t)msg->payloadlen != c->expect_len ||
               memcmp(msg->payload, c->expect, c->expect_len)) {
        c->wrong++;
        note(c, "not the expected output", msg);
    } else {
        c->ok++;
    }
    if (!s->timed)
        return;
    if (c->n_lat == c->cap_lat) {
        const size_t cap = c->cap_lat ? 2 * c->cap_lat : 1 << 14;
        double *grown = realloc(c->lat, cap * sizeof *grown);
        if (!grown)
            return;
        c->lat = grown;
        c->cap_lat = cap;
    }
    c->lat[c->n_lat++] = t - s->sent_us;
}

static void client_free(client *c)
{
    if (c->m) {
        if (c->connected)
            mosquitto_disconnect_v5(c->m, 0, NULL);
        mosquitto_destroy(c->m);
    }
    free(c->slots);
    free(c->lat);
    memset(c, 0, sizeof *c);
}

/* Run libmosquitto until *FLAG or TIMEOUT_S pass. */
static int loop_until(client *c, const bool *flag, double timeout_s)
{
    const double until = bench_now_us() + timeout_s * 1e6;
    while (!*flag && bench_now_us() < until)
        if (mosquitto_loop(c->m, 100, 1) != MOSQ_ERR_SUCCESS)
            return -1;
    return *flag ? 0 : -1;
}

/* A v5 client, driven on the calling thread as the anchor drives its pinger (manual
 * mosquitto_loop, TCP_NODELAY), for the requests to E on MODEL; returns once E is online (its
 * subscription is in place: it subscribes before it says online). */
static int client_open(client *c, const edged *e, const char *model, const char *name)
{
    memset(c, 0, sizeof *c);
    c->qos = e->qos;
    snprintf(c->topic, sizeof c->topic, "%s/infer/%s", e->prefix, model);
    snprintf(c->reply_topic, sizeof c->reply_topic, "bench-mqtt-%d/reply/%s", (int)getpid(), name);
    snprintf(c->status_topic, sizeof c->status_topic, "%s/status", e->prefix);
    char id[64];
    snprintf(id, sizeof id, "bench-mqtt-%d-%s", (int)getpid(), name);
    c->m = mosquitto_new(id, true, c);
    if (!c->m) {
        fprintf(stderr, "bench-mqtt: mosquitto_new: %s\n", strerror(errno));
        return -1;
    }
    mosquitto_int_option(c->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_int_option(c->m, MOSQ_OPT_RECEIVE_MAXIMUM, 1024);
    mosquitto_connect_v5_callback_set(c->m, on_connect);
    mosquitto_subscribe_v5_callback_set(c->m, on_subscribe);
    mosquitto_message_v5_callback_set(c->m, on_message);
    int rc = mosquitto_connect_bind_v5(c->m, "127.0.0.1", broker_port, 60, NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS || loop_until(c, &c->connected, 10) != 0) {
        fprintf(stderr, "bench-mqtt: %s cannot connect to 127.0.0.1:%d: %s\n", id, broker_port,
                rc ? mosquitto_strerror(rc) : mosquitto_reason_string(c->connect_rc));
        return -1;
    }
    rc = mosquitto_subscribe_v5(c->m, NULL, c->reply_topic, c->qos, 0, NULL);
    if (!rc)
        rc = mosquitto_subscribe_v5(c->m, NULL, c->status_topic, c->qos, 0, NULL);
    bool subbed = false;
    const double until = bench_now_us() + 10e6;
    while (!rc && !(subbed = c->subacks == 2) && bench_now_us() < until)
        rc = mosquitto_loop(c->m, 100, 1);
    if (rc || !subbed || c->sub_refused) {
        fprintf(stderr, "bench-mqtt: %s cannot subscribe to %s: %s\n", id, c->reply_topic,
                rc ? mosquitto_strerror(rc) : "refused or no answer");
        return -1;
    }
    if (loop_until(c, &c->online, 30) != 0) {
        fprintf(stderr, "bench-mqtt: edged said nothing on %s within 30 s; see %s\n",
                c->status_topic, e->log);
        return -1;
    }
    return 0;
}

static int publish(client *c, const uint8_t *in, size_t len, bool timed)
{
    uint32_t i = c->hint;
    while (c->slots[i].busy)
        i = (i + 1) % c->n_slots;
    c->hint = (i + 1) % c->n_slots;
    slot *s = &c->slots[i];
    const uint32_t id[2] = {i, c->next_seq++};
    mosquitto_property *p = NULL;
    int rc = mosquitto_property_add_string(&p, MQTT_PROP_CONTENT_TYPE, "application/octet-stream");
    if (!rc)
        rc = mosquitto_property_add_string(&p, MQTT_PROP_RESPONSE_TOPIC, c->reply_topic);
    if (!rc)
        rc = mosquitto_property_add_binary(&p, MQTT_PROP_CORRELATION_DATA, id, sizeof id);
    *s = (slot){.seq = id[1], .busy = true, .timed = timed, .sent_us = bench_now_us()};
    if (!rc)
        rc = mosquitto_publish_v5(c->m, NULL, c->topic, (int)len, in, c->qos, false, p);
    mosquitto_property_free_all(&p);
    if (rc) {
        s->busy = false;
        fprintf(stderr, "bench-mqtt: publish on %s: %s\n", c->topic, mosquitto_strerror(rc));
        return -1;
    }
    c->outstanding++;
    return 0;
}

/* Requests with IN: WINDOW outstanding at most; COUNT of them (the first WARM untimed), or as
 * many as SECONDS allow. Then waits for the outstanding ones (REPLY_TIMEOUT_US each). */
static int run_requests(client *c, const uint8_t *in, size_t len, uint32_t window, long count,
                        long warm, double seconds)
{
    free(c->slots);
    c->slots = calloc(window, sizeof *c->slots);
    if (!c->slots)
        return -1;
    c->n_slots = window;
    c->outstanding = c->hint = 0;
    c->in_time = 0;
    const double t0 = bench_now_us();
    c->end_us = count ? 1e300 : t0 + seconds * 1e6;
    long sent = 0;
    double checked = t0;
    for (;;) {
        bool more = count ? sent < count : bench_now_us() < c->end_us;
        while (more && c->outstanding < window) {
            if (publish(c, in, len, sent >= warm) != 0)
                return -1;
            sent++;
            more = count ? sent < count : true;
        }
        if (!more && c->outstanding == 0)
            break;
        const int rc = mosquitto_loop(c->m, 1000, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "bench-mqtt: mosquitto_loop: %s\n", mosquitto_strerror(rc));
            return -1;
        }
        const double t = bench_now_us();
        if (t - checked < 100e3)
            continue;
        checked = t;
        for (uint32_t i = 0; i < c->n_slots; i++)
            if (c->slots[i].busy && t - c->slots[i].sent_us > REPLY_TIMEOUT_US) {
                c->slots[i].busy = false;
                c->outstanding--;
                c->missing++;
            }
    }
    return 0;
}

/* ------------------------------------------------------------ the anchor */

typedef struct anchor_fig {
    double p50, p90, p99;
} anchor_fig;

/* ANCHOR PORT BYTES QOS ITERS PINGER_CPU ECHO_CPU; its median, p90 and p99. */
static int run_anchor(size_t bytes, int qos, int iters, int pinger, int echo, anchor_fig *f)
{
    memset(f, 0, sizeof *f);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fprintf(stderr, "bench-mqtt: pipe: %s\n", strerror(errno));
        return -1;
    }
    char a[5][24];
    snprintf(a[0], sizeof a[0], "%d", broker_port);
    snprintf(a[1], sizeof a[1], "%zu", bytes);
    snprintf(a[2], sizeof a[2], "%d", qos);
    snprintf(a[3], sizeof a[3], "%d", iters);
    snprintf(a[4], sizeof a[4], "%d", pinger);
    char e[24];
    snprintf(e, sizeof e, "%d", echo);
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench-mqtt: fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0); /* its echo child goes with it on a timeout */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execl(anchor_bin, "mqtt_rtt", a[0], a[1], a[2], a[3], a[4], e, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char out[2048];
    size_t len = 0;
    const double until = bench_now_us() + ANCHOR_TIMEOUT_S * 1e6;
    bool timed_out = false;
    for (;;) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        const double left = until - bench_now_us();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        const int n = poll(&p, 1, (int)(left / 1e3) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        const ssize_t got = read(fds[0], out + len, sizeof out - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
        if (len == sizeof out - 1)
            len = 0; /* keep the last lines only: the figures come last */
    }
    out[len] = '\0';
    close(fds[0]);
    if (timed_out) {
        kill(-pid, SIGTERM);
        kill(pid, SIGKILL);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        status = -1;
    const char *m = strstr(out, "median"), *p90 = strstr(out, "p90"), *p99 = strstr(out, "p99");
    if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !m || !p90 || !p99) {
        fprintf(stderr, "bench-mqtt: %s %s%s\n", anchor_bin,
                timed_out ? "took too long; stopped. It printed: " : "failed: ", out);
        return -1;
    }
    f->p50 = atof(m + 6);
    f->p90 = atof(p90 + 3);
    f->p99 = atof(p99 + 3);
    return 0;
}

/* ------------------------------------------------------------ 1. round trips */

typedef struct layout {
    const char *name;
    int client, echo, broker; /* CPUs; -1: any */
} layout;

static void print_layouts(const layout *l, int n)
{
    for (int i = 0; i < n; i++) {
        char b[16] = "any CPU";
        if (l[i].broker >= 0)
            snprintf(b, sizeof b, "CPU %d", l[i].broker);
        printf(
            "   %-6s client (bench / anchor pinger) on CPU %d, edged (every thread) / anchor echo "
            "on CPU %d, broker on %s\n",
            l[i].name, l[i].client, l[i].echo, b);
    }
}

typedef struct rt_row {
    double p50, p90, p99, max; /* edged: the median over the rounds (max: the largest) */
    double a50, a90, a99;      /* anchor: medians of its rounds' figures */
    double ratio, rmin, rmax;  /* p50 / a50, and the per-round ratios' range */
    bool ratio_ok;
} rt_row;

/* --keep: one round's round trips in the order they were made, to look at the outliers. */
static void dump_times(const char *layout_name, int qos, int round, const double *v, size_t n)
{
    char path[160];
    snprintf(path, sizeof path, "%s/rt-%s-qos%d.txt", dir, layout_name, qos);
    FILE *f = fopen(path, round ? "a" : "w");
    if (!f)
        return;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%d %zu %.1f\n", round, i, v[i]);
    if (fclose(f) != 0)
        fprintf(stderr, "bench-mqtt: write %s: %s\n", path, strerror(errno));
}

static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0.0;
}

static int round_trips(client *c, const layout *l, const opts *o, const uint8_t *in, size_t len,
                       pid_t edged_pid, rt_row *row)
{
    memset(row, 0, sizeof *row);
    if (pin_self(l->client) || pin_pid(edged_pid, l->echo) || pin_pid(broker_pid, l->broker)) {
        fprintf(stderr, "bench-mqtt: cannot set CPU affinity: %s\n", strerror(errno));
        return -1;
    }
    double e50[64], e90[64], e99[64], a50[64], a90[64], a99[64];
    int na = 0;
    const int rounds = o->rounds < 64 ? o->rounds : 64;
    c->n_lat = 0;
    for (int r = 0; r < rounds; r++) {
        anchor_fig f;
        if (anchor_ok) {
            if (run_anchor(len, c->qos, o->iters, l->client, l->echo, &f) != 0)
                return -1;
            a50[na] = f.p50, a90[na] = f.p90, a99[na] = f.p99;
            na++;
        }
        const size_t from = c->n_lat;
        if (run_requests(c, in, len, 1, WARMUP + o->iters, WARMUP, 0) != 0)
            return -1;
        if (o->keep)
            dump_times(l->name, c->qos, r, c->lat + from, c->n_lat - from);
        const double *v = c->lat + from;
        const size_t n = c->n_lat - from;
        qsort(c->lat + from, n, sizeof *c->lat, bench_cmp_double);
        e50[r] = pct(v, n, 50), e90[r] = pct(v, n, 90), e99[r] = pct(v, n, 99);
        row->max = n && v[n - 1] > row->max ? v[n - 1] : row->max;
    }
    if (na == rounds) {
        row->rmin = 1e300;
        for (int r = 0; r < rounds; r++) {
            const double x = a50[r] > 0 ? e50[r] / a50[r] : 0;
            row->rmin = x < row->rmin ? x : row->rmin;
            row->rmax = x > row->rmax ? x : row->rmax;
        }
        row->a50 = median_of(a50, na);
        row->a90 = median_of(a90, na);
        row->a99 = median_of(a99, na);
    }
    row->p50 = median_of(e50, rounds);
    row->p90 = median_of(e90, rounds);
    row->p99 = median_of(e99, rounds);
    row->ratio_ok = row->a50 > 0;
    row->ratio = row->ratio_ok ? row->p50 / row->a50 : 0;
    return 0;
}

/* ------------------------------------------------------------ 2. throughput */

/* Where the CPU time of the MQTT path goes (ns, from /proc/PID/task/TID/schedstat). */
typedef struct cpu_use {
    double loop, workers; /* edged: the workers (threads named edged-w*), and the rest */
    double broker, client;
    double busy, all; /* the machine (/proc/stat): busy time, and all time over every CPU */
} cpu_use;

/* /proc/stat's first line: *BUSY and *ALL in ns (all = busy + idle + iowait). */
static void machine_ns(double *busy, double *all)
{
    *busy = *all = 0;
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8] = {0};
    if (!f)
        return;
    const int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                         &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8)
        return;
    const double tick = 1e9 / (double)sysconf(_SC_CLK_TCK);
    for (int i = 0; i < 8; i++)
        *all += (double)v[i] * tick;
    *busy = *all - (double)(v[3] + v[4]) * tick;
}

static double task_ns(pid_t pid, const char *tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", (int)pid, tid);
    FILE *f = fopen(path, "r");
    double ns = 0;
    if (f) {
        if (fscanf(f, "%lf", &ns) != 1)
            ns = 0;
        fclose(f);
    }
    return ns;
}

static void cpu_sample(pid_t edged_pid, cpu_use *u)
{
    memset(u, 0, sizeof *u);
    char path[64], name[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)edged_pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.20s/comm", (int)edged_pid, e->d_name);
        FILE *f = fopen(path, "r");
        name[0] = '\0';
        if (f) {
            if (!fgets(name, sizeof name, f))
                name[0] = '\0';
            fclose(f);
        }
        *(strncmp(name, "edged-w", 7) ? &u->loop : &u->workers) += task_ns(edged_pid, e->d_name);
    }
    if (d)
        closedir(d);
    snprintf(name, sizeof name, "%d", (int)broker_pid);
    u->broker = task_ns(broker_pid, name); /* mosquitto has one thread */
    snprintf(name, sizeof name, "%d", (int)getpid());
    u->client = task_ns(getpid(), name); /* the main thread: the MQTT client */
    machine_ns(&u->busy, &u->all);
}

typedef struct direct_arg {
    edge_model *m;
    const uint8_t *in, *expect;
    size_t in_len, expect_len;
    double until;
    long done;
    double cpu_ns; /* the thread's CPU time */
    bool wrong;
} direct_arg;

static double thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void *direct_thread(void *arg)
{
    direct_arg *a = arg;
    edge_interp *it = NULL;
    if (edge_interp_new(a->m, &it, NULL))
        return NULL;
    size_t bytes = 0, out_bytes = 0;
    void *in = edge_interp_input(it, 0, &bytes);
    const double cpu0 = thread_cpu_ns();
    /* The input is written before every invoke, as edged does: the arena planner may lay
     * activations over the input tensor once it is consumed. */
    do { /* at least once: the output is checked */
        memcpy(in, a->in, bytes < a->in_len ? bytes : a->in_len);
        if (edge_interp_invoke(it) == 0)
            a->done++;
    } while (bench_now_us() < a->until);
    a->cpu_ns = thread_cpu_ns() - cpu0;
    const void *out = edge_interp_output(it, 0, &out_bytes);
    a->wrong = !out || out_bytes != a->expect_len || memcmp(out, a->expect, out_bytes);
    edge_interp_free(it);
    return NULL;
}

/* person_detect through libedge on THREADS threads, each its own interpreter: inferences/s;
 * *CPU_NS and *DONE grow by the threads' CPU time and inferences. */
static double direct_rate(edge_model *m, const uint8_t *in, size_t in_len, const uint8_t *expect,
                          size_t expect_len, int threads, double seconds, bool *wrong,
                          double *cpu_ns, long *done)
{
    direct_arg a[8];
    pthread_t th[8];
    threads = threads < 8 ? threads : 8;
    const double t0 = bench_now_us();
    int started = 0;
    for (int i = 0; i < threads; i++) {
        a[i] = (direct_arg){.m = m,
                            .in = in,
                            .in_len = in_len,
                            .expect = expect,
                            .expect_len = expect_len,
                            .until = t0 + seconds * 1e6,
                            .wrong = true};
        if (pthread_create(&th[i], NULL, direct_thread, &a[i]) != 0)
            break;
        started++;
    }
    long total = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        total += a[i].done;
        *cpu_ns += a[i].cpu_ns;
        *wrong = *wrong || a[i].wrong;
    }
    *done += total;
    return started == threads ? (double)total / ((bench_now_us() - t0) / 1e6) : 0;
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s EDGED_BIN ANCHOR_MQTT_RTT [SHARED_DIR] [--iters N] [--rounds R]\n"
            "       [--seconds S] [--window W] [--layouts 1|2] [--keep] [--kernels LEVEL]\n"
            "  EDGED_BIN        build/daemon/edged\n"
            "  ANCHOR_MQTT_RTT  build/bench/anchor-mqtt-rtt (missing: edged's figures, no ratios)\n"
            "  SHARED_DIR       ../shared (models/hello_world_int8, models/person_detect)\n"
            "  --iters N        timed round trips per round, edged and anchor alike (3000)\n"
            "  --rounds R       anchor/edged pairs, interleaved, per QoS and CPU layout and for\n"
            "                   the throughput (3)\n"
            "  --seconds S      each throughput phase, edged and direct alike (3)\n"
            "  --window W       person_detect requests outstanding, at most 64 (32)\n"
            "  --layouts N      1: the split layout only; 2: also the shared one (2)\n"
            "  --kernels LEVEL  edged's int8 kernel level (scalar, avx2, ...; default: the best)\n"
            "  --keep           keep the temporary folder (logs, configs, each round trip in\n"
            "                   rt-LAYOUT-qosN.txt: round, index, microseconds)\n",
            argv0);
}

static int parse_args(int argc, char **argv, opts *o, const char **pos)
{
    *o = (opts){.iters = 3000, .rounds = 3, .window = 32, .layouts = 2, .seconds = 3};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const bool val = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, argv[0]);
            exit(0);
        } else if (!strcmp(a, "--keep")) {
            o->keep = true;
        } else if (!strcmp(a, "--iters") && val) {
            o->iters = atoi(argv[++i]);
        } else if (!strcmp(a, "--rounds") && val) {
            o->rounds = atoi(argv[++i]);
        } else if (!strcmp(a, "--seconds") && val) {
            o->seconds = atof(argv[++i]);
        } else if (!strcmp(a, "--window") && val) {
            o->window = atoi(argv[++i]);
        } else if (!strcmp(a, "--layouts") && val) {
            o->layouts = atoi(argv[++i]);
        } else if (a[0] == '-' || npos == 3) {
            return -1;
        } else {
            pos[npos++] = a;
        }
    }
    if (npos < 2 || o->iters < 100 || o->rounds < 1 || o->rounds > 64 || o->seconds <= 0 ||
        o->window < 1 || o->window > 64 || o->layouts < 1 || o->layouts > 2)
        return -1;
    if (npos == 2)
        pos[2] = "../shared";
    return 0;
}

static int setup_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/edged-bench-mqtt-XXXXXX");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench-mqtt: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    snprintf(models, sizeof models, "%s/models", dir);
    if (mkdir(models, 0755) != 0) {
        fprintf(stderr, "bench-mqtt: mkdir %s: %s\n", models, strerror(errno));
        return -1;
    }
    static const char *const names[2] = {"hello_world_int8", "person_detect"};
    for (int i = 0; i < 2; i++) {
        char target[4200], link[256];
        snprintf(target, sizeof target, "%s/models/%s/model.tflite", shared, names[i]);
        snprintf(link, sizeof link, "%s/%s.tflite", models, names[i]);
        if (access(target, R_OK) != 0 || symlink(target, link) != 0) {
            fprintf(stderr, "bench-mqtt: %s: %s\n", target, strerror(errno));
            return -1;
        }
    }
    return 0;
}

typedef struct io_pair {
    uint8_t *in, *expect;
    size_t in_len, expect_len;
} io_pair;

static int load_io(const char *model, io_pair *p)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/models/%s/input_0.bin", shared, model);
    p->in = bench_read_file(path, &p->in_len);
    if (p->in) {
        snprintf(path, sizeof path, "%s/models/%s/expected_0.bin", shared, model);
        p->expect = bench_read_file(path, &p->expect_len);
    }
    if (!p->in || !p->expect) {
        fprintf(stderr, "bench-mqtt: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* What a client's replies came to: counts on one line; true when all were right. */
static bool replies_ok(const client *c, const char *label)
{
    const bool ok = !c->wrong && !c->errors && !c->missing && !c->stray;
    printf("   %s replies: %ld right, %ld wrong, %ld failed, %ld missing, %ld unmatched%s\n", label,
           c->ok, c->wrong, c->errors, c->missing, c->stray, ok ? "" : "  <- FAILED");
    if (c->problem[0])
        printf("   %s first problem: %s\n", label, c->problem);
    return ok;
}

static void print_load(void)
{
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            snprintf(buf, sizeof buf, "?");
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("   load average %s\n", buf);
}

static void section_round_trips(const opts *o, edged e[2], client rt[2], const io_pair *hw)
{
    const layout layouts[2] = {{"split", cpu_a, cpu_b, -1}, {"shared", cpu_a, cpu_a, cpu_b}};
    const int n_layouts = cpu_a == cpu_b ? 1 : o->layouts;
    printf("1. hello_world round trip through the broker: raw %zu-byte input, v5 response topic "
           "and correlation data,\n   %d rounds x %d timed round trips (after %d warm-up) per QoS "
           "and layout, each round the anchor\n   (mqtt_rtt, %zu B, same QoS, same broker) then "
           "edged; CPU layouts:\n",
           hw->in_len, o->rounds, o->iters, WARMUP, hw->in_len);
    print_layouts(layouts, n_layouts);
    printf("   %-6s %3s | %8s %8s %8s %9s | %8s %8s %8s | %6s %-13s %s\n", "layout", "qos",
           "edged50", "p90", "p99", "max", "anchor50", "p90", "p99", "ratio", "rounds", "target");
    for (int li = 0; li < n_layouts; li++)
        for (int q = 0; q < 2; q++) {
            rt_row r;
            if (round_trips(&rt[q], &layouts[li], o, hw->in, hw->in_len, e[q].pid, &r) != 0) {
                broke = true;
                printf("   %-6s %3d | failed (see above)\n", layouts[li].name, q);
                continue;
            }
            char anchor[40] = "       -        -        -", ratio[16] = "-", range[32] = "-",
                 target[32] = "-";
            if (r.ratio_ok) {
                snprintf(anchor, sizeof anchor, "%8.1f %8.1f %8.1f", r.a50, r.a90, r.a99);
                snprintf(ratio, sizeof ratio, "%.2f", r.ratio);
                snprintf(range, sizeof range, "%.2f-%.2f", r.rmin, r.rmax);
                snprintf(target, sizeof target, "<= %.1f %s", TARGET_RATIO,
                         r.ratio <= TARGET_RATIO ? "met" : "MISS");
            }
            printf("   %-6s %3d | %8.1f %8.1f %8.1f %9.1f | %s | %6s %-13s %s\n", layouts[li].name,
                   q, r.p50, r.p90, r.p99, r.max, anchor, ratio, range, target);
            fflush(stdout);
        }
    pin_self(-1);
    pin_pid(broker_pid, -1);
    for (int q = 0; q < 2; q++) {
        pin_pid(e[q].pid, -1);
        char label[16];
        snprintf(label, sizeof label, "qos %d", q);
        if (!replies_ok(&rt[q], label))
            broke = true;
    }
}

static void section_throughput(const opts *o, pid_t edged_pid, client *tp, const io_pair *pd)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/models/person_detect/model.tflite", shared);
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open(path, NULL, &m, &err) != 0) {
        fprintf(stderr, "bench-mqtt: %s: %s\n", path, err.message);
        broke = true;
        return;
    }
    printf("2. person_detect throughput, QoS 1, [scheduler] workers = 2, raw %zu-byte input, %d "
           "requests outstanding;\n   anchor: the same model through libedge on 2 threads (two "
           "interpreters, no daemon, no broker);\n   %d rounds of %.1f s each, interleaved "
           "(direct, edged, direct, edged, ...), nothing pinned\n",
           pd->in_len, o->window, o->rounds, o->seconds);
    double d_sum = 0, e_sum = 0, d_cpu = 0, rmin = 1e300, rmax = 0;
    long d_done = 0;
    bool direct_wrong = false;
    if (run_requests(tp, pd->in, pd->in_len, (uint32_t)o->window, 4L * o->window, 4L * o->window,
                     0) != 0) { /* warm-up: every worker's interpreter */
        broke = true;
        edge_model_unref(m);
        return;
    }
    tp->n_lat = 0;
    cpu_use used = {0};
    long requests = 0;
    for (int r = 0; r < o->rounds; r++) {
        const double d_rate = direct_rate(m, pd->in, pd->in_len, pd->expect, pd->expect_len, 2,
                                          o->seconds, &direct_wrong, &d_cpu, &d_done);
        cpu_use u0, u1;
        cpu_sample(edged_pid, &u0);
        const long before = tp->ok + tp->wrong + tp->errors;
        if (run_requests(tp, pd->in, pd->in_len, (uint32_t)o->window, 0, 0, o->seconds) != 0) {
            broke = true;
            edge_model_unref(m);
            return;
        }
        cpu_sample(edged_pid, &u1);
        requests += tp->ok + tp->wrong + tp->errors - before;
        used.loop += u1.loop - u0.loop;
        used.workers += u1.workers - u0.workers;
        used.broker += u1.broker - u0.broker;
        used.client += u1.client - u0.client;
        used.busy += u1.busy - u0.busy;
        used.all += u1.all - u0.all;
        const double e_rate = (double)tp->in_time / o->seconds;
        e_sum += e_rate;
        d_sum += d_rate;
        const double x = d_rate > 0 ? e_rate / d_rate : 0;
        rmin = x < rmin ? x : rmin;
        rmax = x > rmax ? x : rmax;
    }
    edge_model_unref(m);
    qsort(tp->lat, tp->n_lat, sizeof *tp->lat, bench_cmp_double);
    const double ed = e_sum / o->rounds, di = d_sum / o->rounds;
    printf("   edged over MQTT:                    %7.1f requests/s; latency p50 %.0f us, p99 %.0f "
           "us, max %.0f us\n",
           ed, pct(tp->lat, tp->n_lat, 50), pct(tp->lat, tp->n_lat, 99),
           tp->n_lat ? tp->lat[tp->n_lat - 1] : 0.0);
    printf("   anchor, libedge direct, 2 threads:  %7.1f inferences/s%s\n", di,
           direct_wrong ? "  <- output DIFFERS from expected_0.bin" : "");
    printf("   ratio edged / direct = %.2f (rounds %.2f-%.2f; no target: 1.0 is the machine's "
           "ceiling)\n",
           di > 0 ? ed / di : 0.0, rmin, rmax);
    const double per = requests > 0 ? 1e3 * (double)requests : 1;
    printf("   CPU per request (us): edged workers %.0f (direct: %.0f per inference), edged loop "
           "and other threads %.0f,\n   broker %.0f, bench client %.0f; the CPUs were %.0f%% busy "
           "during the edged rounds, %.0f%% of it these four\n",
           used.workers / per, d_done ? d_cpu / 1e3 / (double)d_done : 0.0, used.loop / per,
           used.broker / per, used.client / per, used.all > 0 ? 100 * used.busy / used.all : 0.0,
           used.busy > 0 ? 100 * (used.loop + used.workers + used.broker + used.client) / used.busy
                         : 0.0);
    if (!replies_ok(tp, "qos 1") || direct_wrong)
        broke = true;
}

int main(int argc, char **argv)
{
    edge_isa level;
    if (bench_kernels_arg(&argc, argv, &level)) /* --kernels LEVEL, anywhere */
        return 2;
    bench_kernels_print("edged");
    opts o;
    const char *pos[3] = {0};
    if (parse_args(argc, argv, &o, pos) != 0) {
        usage(stderr, argv[0]);
        return 2;
    }
    edged_bin = pos[0];
    anchor_bin = pos[1];
    if (!realpath(pos[2], shared)) { /* the repository links need an absolute target */
        fprintf(stderr, "bench-mqtt: %s: %s\n", pos[2], strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (sched_getaffinity(0, sizeof all_cpus, &all_cpus) != 0) {
        fprintf(stderr, "bench-mqtt: sched_getaffinity: %s\n", strerror(errno));
        return 1;
    }
    cpu_a = cpu_b = -1;
    for (int i = 0; i < CPU_SETSIZE && cpu_b < 0; i++)
        if (CPU_ISSET(i, &all_cpus)) {
            if (cpu_a < 0)
                cpu_a = i;
            else
                cpu_b = i;
        }
    if (cpu_b < 0)
        cpu_b = cpu_a;
    anchor_ok = access(anchor_bin, X_OK) == 0;

    io_pair hw = {0}, pd = {0};
    edged e[2] = {{.pid = -1}, {.pid = -1}};
    client rt[2] = {0}, tp = {0};
    mosquitto_lib_init();
    if (load_io("hello_world_int8", &hw) || load_io("person_detect", &pd) || setup_dir() ||
        broker_start() || edged_start(&e[0], 0, 2, 64) || edged_start(&e[1], 1, 2, 64) ||
        client_open(&rt[0], &e[0], "hello_world_int8", "rt0") ||
        client_open(&rt[1], &e[1], "hello_world_int8", "rt1") ||
        client_open(&tp, &e[1], "person_detect", "tp")) {
        broke = true;
        goto out;
    }
    rt[0].expect = rt[1].expect = hw.expect;
    rt[0].expect_len = rt[1].expect_len = hw.expect_len;
    tp.expect = pd.expect;
    tp.expect_len = pd.expect_len;

    char date[32];
    const time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M", localtime(&t));
    printf("bench-mqtt %s: mosquitto %s on 127.0.0.1:%d, two edged (QoS 0, QoS 1; 2 workers "
           "each), CPUs %d and %d\n",
           date, broker_version, broker_port, cpu_a, cpu_b);
    print_load();
    if (!anchor_ok)
        printf("   anchor %s is missing: edged's figures without ratios\n", anchor_bin);
    fflush(stdout);

    char counts[2][256];
    section_round_trips(&o, e, rt, &hw);
    check_counts(&e[0], (long)rt[0].next_seq, counts[0], sizeof counts[0]);
    bench_edged_stop(&e[0].pid); /* idle from here on */
    section_throughput(&o, e[1].pid, &tp, &pd);
    check_counts(&e[1], (long)(rt[1].next_seq + tp.next_seq), counts[1], sizeof counts[1]);

    printf("3. edged's own account and logs\n");
    for (int q = 0; q < 2; q++) {
        char label[16];
        snprintf(label, sizeof label, "qos %d", q);
        fputs(counts[q], stdout);
        bench_edged_log_problems(e[q].log, label);
    }

out:
    client_free(&rt[0]);
    client_free(&rt[1]);
    client_free(&tp);
    bench_edged_stop(&e[0].pid);
    bench_edged_stop(&e[1].pid);
    broker_stop();
    mosquitto_lib_cleanup();
    free(hw.in);
    free(hw.expect);
    free(pd.in);
    free(pd.expect);
    if (dir[0]) {
        if (o.keep || broke)
            printf("bench-mqtt: logs and configs kept in %s\n", dir);
        else
            nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    return broke ? 1 : 0;
}
