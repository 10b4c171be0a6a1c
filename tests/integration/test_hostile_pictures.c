/* tests/integration/test_hostile_pictures.c - hostile pictures and the picture requests' edges
 * against a real edged (issue 44).
 *
 * Owns: a real edged with the zoo's YOLOv8n ("yolo", the DeepStack detection model) and COCO SSD
 * ("ssd", its labels a Frigate-style numbered labelmap) and [server] max_image_pixels = 16 MP,
 * driven over its Unix socket by raw HTTP clients, each request on its own connection:
 * (1) progressive JPEGs over the memory budget, progressive ones within it and scan bombs (a
 * progressive picture's last scan repeated 3,000 times), all made here with libjpeg
 * (hostile_jpeg.h), sent in parallel by four clients while a good client keeps asking about
 * kite_and_cold.jpg: the good client always gets its kites, the big progressive ones are refused
 * 413 from their header, the scan bombs 400 from their markers, the ones within budget answered;
 * edged's peak RSS (VmHWM) stays within what docs/operations.md documents (its RSS before, plus
 * 2 decodes x 3 bytes x max_image_pixels, plus 48 MiB of slack), and its RSS comes back within
 * 32 MiB of where it was; (2) clients that send a big picture and leave at once: their decodes
 * are dropped (the log says so at debug level), and a good client is answered after them; (3) a
 * zero-byte picture over OIP says "the picture is empty (0 bytes)", min_confidence "0.5\0junk"
 * is refused, cat_720p.jpg at min_confidence 0 answers the cat first (0.97; not the first 4096
 * anchors' best), an OIP picture past its deadline names the model once; (4) the numbered labelmap
 * is read ("person", not "0  person"), and replacing labels.txt (a rename into place) changes
 * the labels without touching model.conf. Under sanitizers the RSS checks are skipped. Every
 * wait is for a condition, with generous bounds: nothing here depends on the machine's speed. */
#include <errno.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_fixture.h"
#include "hostile_jpeg.h"
#include "test_support.h"

#define MAX_PIXELS 16000000ull /* [server] max_image_pixels of this edged */
#define DECODES 2              /* pictures decoding at once (DM_CODEC_OFFLOAD_RUNNING) */
#define HWM_SLACK_KB (48L * 1024)
#define RSS_BACK_KB (32L * 1024)
#define REPLY_MS 180000 /* a reply's bound: a loaded machine, never a speed check */

static dfx F;
static char zoo[512];
static uint8_t *kite; /* kite_and_cold.jpg */
static size_t kite_len;

/* ------------------------------------------------------------ HTTP over the socket */

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        const ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        b += k, n -= (size_t)k;
    }
    return 0;
}

/* POST BODY (LEN bytes of CTYPE) to PATH on a new connection; LEAVE: close right after sending.
 * The status (0: no reply), the reply's body into *OUT (malloc'd, NUL-terminated; may be NULL). */
static int post(const char *path, const char *ctype, const void *body, size_t len, bool leave,
                char **out)
{
    if (out)
        *out = NULL;
    const int fd = dfx_connect(&F);
    if (fd < 0)
        return 0;
    char head[512];
    const int hn = snprintf(head, sizeof head,
                            "POST %s HTTP/1.1\r\nHost: edged\r\nContent-Type: %s\r\n"
                            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                            path, ctype, len);
    if (write_all(fd, head, (size_t)hn) || write_all(fd, body, len) || leave) {
        close(fd);
        return 0;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, REPLY_MS) <= 0)
            break;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
        const ssize_t k = recv(fd, buf + n, cap - n - 1, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    buf[n] = 0;
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    const char *b = strstr(buf, "\r\n\r\n");
    if (out)
        *out = strdup(b ? b + 4 : "");
    free(buf);
    return status;
}

#define BOUNDARY "hostilepictures0123"

/* A DeepStack form: the picture IMG (LEN bytes) as the file field image, and min_confidence
 * MC (MC_LEN bytes; NULL: none). Malloc'd, *OUT_LEN bytes. */
static uint8_t *form(const uint8_t *img, size_t len, const char *mc, size_t mc_len, size_t *out_len)
{
    char a[256], b[256], c[64];
    const int an = snprintf(a, sizeof a,
                            "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"image\"; "
                            "filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
    const int bn = mc ? snprintf(b, sizeof b,
                                 "\r\n--" BOUNDARY "\r\nContent-Disposition: form-data; "
                                 "name=\"min_confidence\"\r\n\r\n")
                      : 0;
    const int cn = snprintf(c, sizeof c, "\r\n--" BOUNDARY "--\r\n");
    *out_len = (size_t)an + len + (size_t)bn + mc_len + (size_t)cn;
    uint8_t *f = malloc(*out_len), *o = f;
    memcpy(o, a, (size_t)an), o += an;
    memcpy(o, img, len), o += len;
    if (mc) {
        memcpy(o, b, (size_t)bn), o += bn;
        memcpy(o, mc, mc_len), o += mc_len;
    }
    memcpy(o, c, (size_t)cn);
    return f;
}

/* The picture IMG to the DeepStack detection PATH: the status, the reply into *OUT. */
static int detect(const char *path, const uint8_t *img, size_t len, bool leave, char **out)
{
    size_t n;
    uint8_t *f = form(img, len, NULL, 0, &n);
    const int st = post(path, "multipart/form-data; boundary=" BOUNDARY, f, n, leave, out);
    free(f);
    return st;
}

/* edged's VmHWM (peak resident set) in KiB, or -1. */
static long hwm_kb(void)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)F.pid);
    FILE *in = fopen(path, "r");
    long kb = -1;
    while (in && fgets(line, sizeof line, in))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (in)
        fclose(in);
    return kb;
}

/* ------------------------------------------------------------ setup */

/* MODEL of the zoo as NAME/1/model.tflite, LABELS (text; NULL: none) as NAME/labels.txt, CONF
 * as model.conf (NULL: none). */
static void add_model(const char *name, const char *model, const char *labels, const char *conf)
{
    char path[2048], target[2048];
    snprintf(path, sizeof path, "%s/%s", F.models, name);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/1", F.models, name);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/1/model.tflite", F.models, name);
    snprintf(target, sizeof target, "%s/%s/model.tflite", zoo, model);
    assert_int_equal(symlink(target, path), 0);
    const char *files[2][2] = {{"labels.txt", labels}, {"model.conf", conf}};
    for (int i = 0; i < 2; i++) {
        if (!files[i][1])
            continue;
        snprintf(path, sizeof path, "%s/%s/%s", F.models, name, files[i][0]);
        FILE *o = fopen(path, "w");
        assert_non_null(o);
        fputs(files[i][1], o);
        fclose(o);
    }
}

/* A numbered labelmap of COCO's SSD classes as Frigate ships it ("N  label", 0-based, gaps):
 * the first ones, person first; FIRST replaces "person". */
static char *labelmap(const char *first)
{
    static const char *const coco[] = {"person",       "bicycle",
                                       "car",          "motorcycle",
                                       "airplane",     "bus",
                                       "train",        "truck",
                                       "boat",         "traffic light",
                                       "fire hydrant", NULL,
                                       "stop sign",    "parking meter",
                                       "bench",        "bird",
                                       "cat",          "dog",
                                       "horse",        "sheep",
                                       "cow",          "elephant",
                                       "bear",         "zebra",
                                       "giraffe",      NULL,
                                       "backpack",     "umbrella",
                                       NULL,           NULL,
                                       "handbag",      "tie",
                                       "suitcase",     "frisbee",
                                       "skis",         "snowboard",
                                       "sports ball",  "kite"};
    char *t = malloc(4096);
    size_t n = 0;
    for (size_t i = 0; i < sizeof coco / sizeof *coco; i++)
        if (coco[i])
            n += (size_t)snprintf(t + n, 4096 - n, "%zu  %s\n", i, i ? coco[i] : first);
    return t;
}

static int setup(void **state)
{
    (void)state;
    if (!dfx_zoo_or_skip(zoo, sizeof zoo))
        return 0;
    if (dfx_init(&F, NULL))
        return -1;
    F.log_to_file = true;
    add_model("yolo", "yolov8n_int8", NULL, NULL); /* its labels: the model's own */
    char *lm = labelmap("person");
    add_model("ssd", "ssd_mobilenet_v1_coco_quant", lm, "[input]\nresize = stretch\n");
    free(lm);
    char path[2048];
    snprintf(path, sizeof path, "%s/images/kite_and_cold.jpg", zoo);
    kite = edge_test_read_file(path, &kite_len);
    if (!kite)
        return -1;
    char extra[512];
    snprintf(extra, sizeof extra,
             "max_image_pixels = %llu\n[vision]\ndetection_model = yolo\n[log]\nlevel = debug\n",
             (unsigned long long)MAX_PIXELS);
    return dfx_start(&F, extra);
}

static int teardown(void **state)
{
    (void)state;
    if (zoo[0]) {
        assert_int_equal(dfx_stop(&F, SIGTERM), 0);
        dfx_cleanup(&F);
    }
    free(kite);
    return 0;
}

/* ------------------------------------------------------------ (1) in parallel */

typedef struct hostile {
    const uint8_t *img;
    size_t len;
    int want;         /* the status it must get */
    const char *says; /* in its reply */
} hostile;

static hostile kinds[3];
static atomic_int wrong; /* hostile replies not as they must be */
static atomic_int good_ok, good_bad;
static atomic_bool hostile_done;
static char wrong_msg[512];
static pthread_mutex_t wrong_mu = PTHREAD_MUTEX_INITIALIZER;

static void *hostile_client(void *arg)
{
    const int id = (int)(intptr_t)arg;
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < 3; k++) {
            const hostile *h = &kinds[(k + id) % 3];
            char *out;
            const int st = detect("/v1/vision/detection", h->img, h->len, false, &out);
            if (st != h->want || !out || !strstr(out, h->says)) {
                atomic_fetch_add(&wrong, 1);
                pthread_mutex_lock(&wrong_mu);
                snprintf(wrong_msg, sizeof wrong_msg, "%d (want %d, '%s'): %.300s", st, h->want,
                         h->says, out ? out : "");
                pthread_mutex_unlock(&wrong_mu);
            }
            free(out);
        }
    return NULL;
}

static void *good_client(void *arg)
{
    (void)arg;
    do {
        char *out;
        const int st = detect("/v1/vision/detection", kite, kite_len, false, &out);
        if (st == 200 && out && strstr(out, "\"label\":\"kite\""))
            atomic_fetch_add(&good_ok, 1);
        else {
            atomic_fetch_add(&good_bad, 1);
            printf("# good client: %d %.200s\n", st, out ? out : "");
        }
        free(out);
    } while (!atomic_load(&hostile_done));
    return NULL;
}

static void test_parallel(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    /* over the budget: 16 MP progressive at 4:4:4 takes 48 MB of pixels and 96 MB of
     * coefficients; within it: 4 MP progressive at 4:2:0 (12 + 12 MB); a scan bomb */
    size_t big_len, ok_len, small_len, bomb_len;
    uint8_t *big = hj_flat(4000, 4000, 90, 140, 200, true, true, &big_len);
    uint8_t *ok = hj_flat(2000, 2000, 200, 140, 90, true, false, &ok_len);
    uint8_t *small = hj_flat(1000, 1000, 40, 200, 40, true, false, &small_len);
    uint8_t *bomb = hj_scan_bomb(small, small_len, 3000, &bomb_len);
    assert_non_null(big);
    assert_non_null(ok);
    assert_non_null(bomb);
    printf("# hostile pictures: progressive 16 MP %zu bytes, 4 MP %zu bytes, scan bomb %zu "
           "bytes\n",
           big_len, ok_len, bomb_len);
    kinds[0] = (hostile){big, big_len, 413, "progressive take"};
    kinds[1] = (hostile){ok, ok_len, 200, "\"success\":true"};
    kinds[2] = (hostile){bomb, bomb_len, 400, "more than 100 scans"};
    /* the baseline after YOLO has run on every worker (its arena's pages touched): the good
     * client, four at once, twice */
    pthread_t good, bad[4];
    atomic_store(&hostile_done, true);
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < 4; i++)
            assert_int_equal(pthread_create(&bad[i], NULL, good_client, NULL), 0);
        for (int i = 0; i < 4; i++)
            pthread_join(bad[i], NULL);
    }
    atomic_store(&hostile_done, false);
    atomic_store(&good_ok, 0);
    assert_int_equal(atomic_load(&good_bad), 0);
    const long rss0 = dfx_rss_kb(&F), hwm0 = hwm_kb();
    assert_int_equal(pthread_create(&good, NULL, good_client, NULL), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&bad[i], NULL, hostile_client, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(bad[i], NULL);
    atomic_store(&hostile_done, true);
    pthread_join(good, NULL);
    const long hwm1 = hwm_kb();
    printf("# good client: %d answered, %d not; hostile replies wrong: %d\n", atomic_load(&good_ok),
           atomic_load(&good_bad), atomic_load(&wrong));
    if (atomic_load(&wrong))
        fail_msg("a hostile picture's reply: %s", wrong_msg);
    assert_int_equal(atomic_load(&good_bad), 0);
    assert_true(atomic_load(&good_ok) >= 1);
    /* the documented bound: the RSS before, DECODES pictures of 3 bytes x max_image_pixels */
    const long bound = rss0 + (long)(DECODES * 3 * MAX_PIXELS / 1024) + HWM_SLACK_KB;
    printf("# RSS before %ld KiB (peak %ld), peak after %ld KiB, bound %ld KiB\n", rss0, hwm0, hwm1,
           bound);
    if (DFX_SANITIZED) {
        printf("# sanitized build: the RSS checks say nothing here, skipped\n");
    } else {
        assert_true(hwm1 <= (hwm0 > bound ? hwm0 : bound));
        /* and it comes back (malloc_trim after big decodes) */
        long rss = dfx_rss_kb(&F);
        for (int i = 0; i < 100 && rss > rss0 + RSS_BACK_KB; i++) {
            usleep(100000);
            rss = dfx_rss_kb(&F);
        }
        printf("# RSS afterwards %ld KiB\n", rss);
        assert_true(rss <= rss0 + RSS_BACK_KB);
    }
    free(big);
    free(ok);
    free(small);
    free(bomb);
}

/* ------------------------------------------------------------ (2) clients that leave */

static void test_disconnected(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    /* big pictures within the budget (6.8 MP progressive: 30 MB to decode), sent by six
     * clients that close their connection right after the request */
    size_t len;
    uint8_t *pic = hj_flat(2600, 2600, 120, 120, 120, true, false, &len);
    assert_non_null(pic);
    const int before = dfx_log_count(&F, "its client went away");
    for (int i = 0; i < 6; i++)
        assert_int_equal(detect("/v1/vision/detection", pic, len, true, NULL), 0);
    /* a good client after them is answered, and (at least) those that waited for a decode
     * slot were dropped, not decoded: the first two may have finished first */
    char *out;
    assert_int_equal(detect("/v1/vision/detection", kite, kite_len, false, &out), 200);
    assert_non_null(strstr(out, "\"label\":\"kite\""));
    free(out);
    const bool dropped = dfx_log_wait(&F, "its client went away", before + 3, 60000);
    printf("# dropped decodes: %d of 6\n", dfx_log_count(&F, "its client went away") - before);
    assert_true(dropped);
    free(pic);
}

/* ------------------------------------------------------------ (3) the requests' edges */

/* How often NEEDLE occurs in S. */
static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_edges(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    char *out;
    /* a zero-byte picture over OIP, as base64 and as binary data */
    static const char empty[] =
        "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"BYTES\",\"shape\":"
        "[1],\"data\":[\"\"]}],\"parameters\":{\"detections\":true}}";
    assert_int_equal(
        post("/v2/models/yolo/infer", "application/json", empty, sizeof empty - 1, false, &out),
        400);
    printf("# %s\n", out);
    assert_non_null(strstr(out, "the picture is empty (0 bytes)"));
    free(out);
    static const char empty_bin[] =
        "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"BYTES\",\"shape\":[1],\"parameters\":"
        "{\"binary_data_size\":0}}],\"parameters\":{\"detections\":true}}";
    char req[1024];
    const int rn = snprintf(req, sizeof req,
                            "POST /v2/models/yolo/infer HTTP/1.1\r\nHost: e\r\nContent-Type: "
                            "application/octet-stream\r\nInference-Header-Content-Length: %zu\r\n"
                            "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                            sizeof empty_bin - 1, sizeof empty_bin - 1, empty_bin);
    char *reply = NULL;
    bool closed;
    assert_true(dfx_raw(&F, req, (size_t)rn, REPLY_MS, &reply, &closed) > 0);
    printf("# %.300s\n", reply);
    assert_non_null(strstr(reply, " 400 "));
    assert_non_null(strstr(reply, "the picture is empty (0 bytes)"));
    free(reply);
    /* min_confidence with a NUL inside */
    size_t n;
    uint8_t *f = form(kite, kite_len, "0.5\0junk", 8, &n);
    assert_int_equal(
        post("/v1/vision/detection", "multipart/form-data; boundary=" BOUNDARY, f, n, false, &out),
        400);
    printf("# %s\n", out);
    assert_non_null(strstr(out, "min_confidence"));
    free(out);
    free(f);
    /* min_confidence 0 (point 5): every anchor a candidate; the best one, the cat, answers */
    char cat_path[2048];
    snprintf(cat_path, sizeof cat_path, "%s/images/cat_720p.jpg", zoo);
    size_t cat_len = 0;
    uint8_t *cat = edge_test_read_file(cat_path, &cat_len);
    assert_non_null(cat);
    f = form(cat, cat_len, "0", 1, &n);
    assert_int_equal(
        post("/v1/vision/detection", "multipart/form-data; boundary=" BOUNDARY, f, n, false, &out),
        200);
    printf("# cat_720p.jpg at min_confidence 0: %.120s\n", out);
    assert_non_null(strstr(out, "\"predictions\":[{\"label\":\"cat\",\"confidence\":0.9"));
    free(out);
    free(f);
    free(cat);
    /* past its deadline (1 us): the model named once */
    char *b64 = NULL;
    {
        static const char abc[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        b64 = malloc(kite_len / 3 * 4 + 8);
        size_t o = 0;
        for (size_t i = 0; i < kite_len; i += 3) {
            const uint32_t v = (uint32_t)kite[i] << 16 |
                               (i + 1 < kite_len ? (uint32_t)kite[i + 1] << 8 : 0) |
                               (i + 2 < kite_len ? kite[i + 2] : 0);
            b64[o++] = abc[v >> 18 & 63];
            b64[o++] = abc[v >> 12 & 63];
            b64[o++] = i + 1 < kite_len ? abc[v >> 6 & 63] : '=';
            b64[o++] = i + 2 < kite_len ? abc[v & 63] : '=';
        }
        b64[o] = 0;
    }
    const size_t jn = strlen(b64) + 256;
    char *json = malloc(jn);
    const int jl = snprintf(json, jn,
                            "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"BYTES\",\"shape\":"
                            "[1],\"data\":[\"%s\"]}],\"parameters\":{\"detections\":true,"
                            "\"timeout\":1}}",
                            b64);
    const int st = post("/v2/models/yolo/infer", "application/json", json, (size_t)jl, false, &out);
    printf("# %d %s\n", st, out);
    assert_int_equal(st, 504);
    assert_int_equal(count(out, "model 'yolo'"), 1);
    free(out);
    free(json);
    free(b64);
}

/* ------------------------------------------------------------ (4) labels */

/* The SSD's DeepStack answer for kite_and_cold.jpg has a prediction labelled LABEL. */
static bool ssd_says(const char *label)
{
    char *out, want[64];
    const int st = detect("/v1/vision/custom/ssd", kite, kite_len, false, &out);
    snprintf(want, sizeof want, "\"label\":\"%s\"", label);
    const bool yes = st == 200 && out && strstr(out, want);
    if (!yes)
        printf("# ssd: %d %.300s\n", st, out ? out : "");
    free(out);
    return yes;
}

static void test_labels(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    /* "0  person": read as person (and "37  kite" as kite) */
    assert_true(ssd_says("person"));
    assert_true(ssd_says("kite"));
    /* labels.txt replaced by a rename (model.conf untouched): the new labels serve */
    char tmp[2048], path[2048];
    snprintf(tmp, sizeof tmp, "%s/ssd/.labels.txt.new", F.models);
    snprintf(path, sizeof path, "%s/ssd/labels.txt", F.models);
    char *lm = labelmap("human");
    FILE *o = fopen(tmp, "w");
    assert_non_null(o);
    fputs(lm, o);
    fclose(o);
    free(lm);
    assert_int_equal(rename(tmp, path), 0);
    bool changed = false;
    for (int i = 0; i < 300 && !changed; i++) { /* a condition, waited for up to 60 s */
        changed = ssd_says("human");
        if (!changed)
            usleep(200000);
    }
    assert_true(changed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_disconnected),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
