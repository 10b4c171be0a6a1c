/* tests/integration/test_frigate.c - Frigate's two detectors against a real edged, as their code
 * drives it, with the configuration docs/operations.md prints.
 *
 * Owns: tests/integration/frigate_client.py run against edged for each behaviour of [frigate]:
 * the documented config (model.path named after the edged model; Frigate's default model_type
 * ssd and yolo-generic on a YOLO model both decode as the model's outputs say); a model.path
 * naming a model edged does not serve refused in the handshake by name (and the plugin without
 * model.path raising TypeError, which is why the docs set it); two detectors naming two models,
 * each socket's frames answered by its own; a non-root client (user nobody) reaching the ipc
 * socket under UMask 0077 through [frigate] socket_mode and socket_group, the socket file gone
 * after a stop and a stale one replaced at start; frames that waited past [frigate]
 * request_timeout_ms dropped without being computed; Frigate detecting again after edged was
 * away longer than its 30 s handshake; the raw messages (garbage, uploads); Frigate's deepstack
 * detector with the documented api_timeout and [vision] max_predictions; under [models]
 * memory_budget, the first frame waiting for its model's load and answered. No assertion is about
 * speed: where Frigate's timeout matters the test sets a generous one on both sides (the docs'
 * 200 ms default is a speed figure, bench-frigate measures it). Each test checks edged's exit
 * status at its stop (under EDGED_WRAPPER=valgrind, an error it found). Visible SKIP without
 * the zoo. */
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "daemon_fixture.h"
#include "image.h"

static dfx f;
static char zoo[512];
static char yolo_frame[512], ssd_frame[512];
static float kite[4]; /* the kite's box in YOLOv8n's frame, x0 y0 x1 y1 (0..1) */

/* A generous timeout on both sides where a test needs answers, not speed. */
#define PATIENT_MS 60000

/* MODEL of the zoo as NAME/1/model.tflite with its labels.txt and CONF as model.conf. */
static void add_model(const char *name, const char *model, const char *conf)
{
    char path[1024], target[1024];
    snprintf(path, sizeof path, "%s/%s", f.models, name);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/1", f.models, name);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/1/model.tflite", f.models, name);
    snprintf(target, sizeof target, "%s/%s/model.tflite", zoo, model);
    assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/%s/labels.txt", f.models, name);
    snprintf(target, sizeof target, "%s/%s/labels.txt", zoo, model);
    assert_int_equal(symlink(target, path), 0);
    if (conf) {
        snprintf(path, sizeof path, "%s/%s/model.conf", f.models, name);
        FILE *c = fopen(path, "w");
        assert_non_null(c);
        fputs(conf, c);
        fclose(c);
    }
}

/* The kite photo letterboxed (YOLO) or stretched (SSD) into a W x H uint8 frame at PATH, as
 * Frigate sends it; the transform into XF. */
static void write_frame(const char *path, uint32_t w, uint32_t h, edge_fit fit,
                        edge_image_xform *xf)
{
    char src[1024], err[256];
    snprintf(src, sizeof src, "%s/images/kite_and_cold.jpg", zoo);
    size_t len;
    char *jpg = dfx_slurp(src, &len);
    assert_non_null(jpg);
    edge_image im;
    assert_int_equal(edge_image_decode(jpg, len, 40000000, &im, err, sizeof err), 0);
    free(jpg);
    uint8_t *px = malloc((size_t)w * h * 3);
    assert_non_null(px);
    edge_image_fit(&im, fit, 114, w, h, px, xf);
    edge_image_free(&im);
    FILE *o = fopen(path, "wb");
    assert_non_null(o);
    assert_int_equal(fwrite(px, 1, (size_t)w * h * 3, o), (size_t)w * h * 3);
    fclose(o);
    chmod(path, 0644);
    free(px);
}

static int setup(void **state)
{
    (void)state;
    if (!dfx_zoo_or_skip(zoo, sizeof zoo))
        return 0;
    if (dfx_init(&f, NULL))
        return -1;
    f.log_to_file = true;
    chmod(f.dir, 0711); /* user nobody reaches the socket and the frames in it */
    add_model("yolo", "yolov8n_int8", NULL);
    add_model("ssd", "ssd_mobilenet_v1_coco_quant", "[input]\nresize = stretch\n");
    edge_image_xform xf;
    snprintf(yolo_frame, sizeof yolo_frame, "%s/frame640.bin", f.dir);
    write_frame(yolo_frame, 640, 640, EDGE_FIT_LETTERBOX, &xf);
    /* the kite as the DeepStack API finds it in the photo (test_vision), in the frame */
    kite[0] = (597 * xf.sx + xf.ox) / 640, kite[1] = (80 * xf.sy + xf.oy) / 640;
    kite[2] = (671 * xf.sx + xf.ox) / 640, kite[3] = (154 * xf.sy + xf.oy) / 640;
    snprintf(ssd_frame, sizeof ssd_frame, "%s/frame300.bin", f.dir);
    write_frame(ssd_frame, 300, 300, EDGE_FIT_STRETCH, &xf);
    return 0;
}

/* After each test, passed or not: its edged stopped, the umask back. */
static int stop_edged(void **state)
{
    (void)state;
    umask(0022);
    if (f.pid > 0)
        dfx_stop(&f, SIGTERM);
    char path[512];
    snprintf(path, sizeof path, "%s/outage.pid", f.dir);
    char *pid = dfx_slurp(path, NULL); /* the outage test's client, should it still run */
    if (pid && atoi(pid) > 0)
        kill(atoi(pid), SIGKILL);
    free(pid);
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (zoo[0])
        dfx_cleanup(&f);
    return 0;
}

/* edged with [frigate] endpoint in the fixture's folder and EXTRA after it. */
static void start(const char *extra)
{
    char ini[2048];
    snprintf(ini, sizeof ini, "[frigate]\nendpoint = ipc://%s/frigate.sock\n%s", f.dir, extra);
    assert_int_equal(dfx_start(&f, ini), 0);
}

/* frigate_client.py SCENARIO ARGS... (as USER when not NULL): its exit status; its output
 * printed. */
static int client(const char *user, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int client(const char *user, const char *fmt, ...)
{
    char args[3072], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char as[128] = "";
    if (user)
        snprintf(as, sizeof as, "setpriv --reuid=%s --regid=nogroup --clear-groups ", user);
    snprintf(cmd, sizeof cmd, "%s/usr/bin/python3 %s %s endpoint=ipc://%s/frigate.sock 2>&1", as,
             FRIGATE_CLIENT, args, f.dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[4096];
    while (fgets(line, sizeof line, p))
        printf("    %s", line);
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The value of counter NAME in /metrics (-1 when absent). */
static long metric(const char *name)
{
    char *m = NULL, needle[128];
    assert_int_equal(dfx_curl(&f, "GET", "/metrics", NULL, NULL, &m, NULL, NULL), 200);
    snprintf(needle, sizeof needle, "\n%s ", name);
    const char *at = strstr(m, needle);
    const long v = at ? atol(at + strlen(needle)) : -1;
    free(m);
    return v;
}

/* The documented config: model.path /config/yolo.tflite (the edged model's name), Frigate's
 * default model_type ssd and yolo-generic on YOLOv8n: the kite (class 33), where it is. */
static void test_documented(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    start("model = yolo\nrequest_timeout_ms = 60000\n");
    const char *types[] = {"ssd", "yologeneric"};
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(client(NULL,
                                "documented model_path=/config/yolo.tflite model_type=%s "
                                "timeout_ms=%d tensor=%s height=640 width=640 want_class=33 "
                                "box=%.4f,%.4f,%.4f,%.4f",
                                types[i], PATIENT_MS, yolo_frame, kite[0], kite[1], kite[2],
                                kite[3]),
                         0);
    assert_int_equal(client(NULL, "no_path"), 0);
    assert_int_equal(metric("edged_frigate_errors_total"), 0);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
}

/* A model.path whose file name is no edged model (the docs' old yolov8n_full_integer_quant):
 * the handshake refuses it by name, Frigate logs it; nothing is answered silently empty. */
static void test_refused(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    start("model = yolo\n");
    assert_int_equal(client(NULL,
                            "refused model_path=/config/yolov8n_full_integer_quant.tflite "
                            "says=\"serves no model 'yolov8n_full_integer_quant'\" timeout_ms=%d",
                            PATIENT_MS),
                     0);
    assert_true(metric("edged_frigate_refused_total") >= 1);
    assert_true(dfx_log_count(&f, "model_name 'yolov8n_full_integer_quant.tflite' refused") >= 1);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
}

/* Two Frigate detectors naming ssd and yolo: each socket's frames go to the model it named
 * ([frigate] model, yolo, only for sockets that made no handshake). */
static void test_two_models(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    start("model = yolo\nrequest_timeout_ms = 60000\n");
    /* the SSD's kite: its labels.txt's line of "kite" */
    char path[1024];
    snprintf(path, sizeof path, "%s/ssd_mobilenet_v1_coco_quant/labels.txt", zoo);
    char *labels = dfx_slurp(path, NULL);
    assert_non_null(labels);
    int kite_line = -1, person_line = -1, line = 0;
    for (char *l = labels, *nl; *l; l = nl + 1, line++) { /* class 0 is the person */
        nl = strchr(l, '\n');
        if (!nl)
            break;
        *nl = 0;
        if (!strcmp(l, "kite"))
            kite_line = line;
        if (!strcmp(l, "person") && person_line < 0)
            person_line = line;
    }
    free(labels);
    assert_true(kite_line > person_line && person_line >= 0);
    const int ssd_kite = kite_line - person_line;
    assert_int_equal(client(NULL,
                            "two_models model1=/config/ssd.tflite model2=/config/yolo.tflite "
                            "tensor1=%s h1=300 w1=300 class1=%d tensor2=%s h2=640 w2=640 "
                            "class2=33 timeout_ms=%d",
                            ssd_frame, ssd_kite, yolo_frame, PATIENT_MS),
                     0);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
}

/* Under [models] memory_budget the model loads on its first request: Frigate's first frame
 * waits for that load (within request_timeout_ms, as every front end's request) and is
 * answered with the kite, where it was answered with an error at once before (request.c's
 * one wait). */
static void test_on_demand(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    start("model = yolo\nrequest_timeout_ms = 60000\n[models]\nmemory_budget = 1G\n");
    char *idx = NULL;
    assert_int_equal(dfx_curl(&f, "POST", "/v2/repository/index", NULL, NULL, &idx, NULL, NULL),
                     200);
    assert_non_null(strstr(idx, "\"on_demand\":true")); /* not resident: the frame loads it */
    free(idx);
    assert_int_equal(client(NULL,
                            "documented model_path=/config/yolo.tflite model_type=yologeneric "
                            "timeout_ms=%d tensor=%s height=640 width=640 want_class=33",
                            PATIENT_MS, yolo_frame),
                     0);
    assert_int_equal(metric("edged_frigate_errors_total"), 0);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
}

/* A stale socket file at PATH, as a crashed server leaves it. */
static void stale_socket(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd);
}

/* Under the unit's UMask=0077, [frigate] socket_mode 0660 and socket_group let user nobody
 * (group nogroup) connect; the socket file goes at the stop; a stale one is replaced. */
static void test_socket_access(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    if (geteuid() != 0 || !getgrnam("nogroup") || system("command -v setpriv >/dev/null")) {
        printf("# SKIP: needs root, setpriv and the group nogroup to run a client as nobody\n");
        skip();
        return;
    }
    char sock[100];
    snprintf(sock, sizeof sock, "%.80s/frigate.sock", f.dir);
    unlink(sock); /* the earlier tests' edged removed it; the old code left it */
    stale_socket(sock);
    umask(0077); /* the unit's; stop_edged sets it back */
    start("model = yolo\nrequest_timeout_ms = 60000\nsocket_mode = 0660\n"
          "socket_group = nogroup\n");
    struct stat st;
    assert_int_equal(stat(sock, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660);
    assert_int_equal(st.st_gid, getgrnam("nogroup")->gr_gid);
    assert_true(dfx_log_count(&f, "removed the stale socket") >= 1);
    assert_int_equal(client("nobody",
                            "documented model_path=/config/yolo.tflite model_type=ssd "
                            "timeout_ms=%d tensor=%s height=640 width=640 want_class=33",
                            PATIENT_MS, yolo_frame),
                     0);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
    assert_int_not_equal(lstat(sock, &st), 0); /* removed at the stop */
}

/* [frigate] request_timeout_ms = 1 with one worker: of frames sent at once, those that waited
 * behind another's inference are dropped without being computed (counted, and the model ran
 * fewer inferences than frames came). */
static void test_deadline(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    start("model = yolo\nrequest_timeout_ms = 1\n[scheduler]\nworkers = 1\n");
    assert_int_equal(client(NULL, "burst frames=4 timeout_ms=%d tensor=%s height=640 width=640",
                            PATIENT_MS, yolo_frame),
                     0);
    const long expired = metric("edged_frigate_expired_total");
    printf("    expired: %ld of 4\n", expired);
    assert_true(expired >= 1);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
}

/* Whether PATH exists within TIMEOUT_MS; false at once when ORELSE (not NULL) appears first. */
static bool wait_file(const char *path, const char *orelse, int timeout_ms)
{
    struct stat st;
    for (int t = 0; t < timeout_ms; t += 50) {
        if (!stat(path, &st))
            return true;
        if (orelse && !stat(orelse, &st))
            return false;
        usleep(50000);
    }
    return false;
}

/* Frigate detecting while edged goes away for 35 s (longer than the plugin's 30 s handshake)
 * and comes back: it detects again, with no restart of Frigate. */
static void test_outage(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    /* Frigate's own timeout (200 ms) on both sides, with the SSD (it needs no speed: the
     * client retries until a frame is answered). Under valgrind or a sanitizer the client's
     * timeouts would have to be 60 s, which is no longer the scenario Frigate sees (a 200 ms
     * frame, then a 30 s handshake, while edged is away): there the case says it skipped, and
     * why; it runs in the plain build and under the CPU hog (scripts/test-under-load.sh). */
    if (DFX_SANITIZED || (getenv("EDGED_WRAPPER") && *getenv("EDGED_WRAPPER"))) {
        printf("SKIP test_outage: under valgrind or a sanitizer Frigate's 200 ms cannot be "
               "kept; the 35 s outage runs in the plain build and under the CPU hog\n");
        skip();
        return;
    }
    const int timeout = 200;
    char ini[128];
    snprintf(ini, sizeof ini, "model = yolo\nrequest_timeout_ms = %d\n", timeout);
    start(ini);
    char ready[512], back[512], done[512], out[512], cmd[4096];
    snprintf(ready, sizeof ready, "%s/outage.ready", f.dir);
    snprintf(back, sizeof back, "%s/outage.back", f.dir);
    snprintf(done, sizeof done, "%s/outage.done", f.dir);
    snprintf(out, sizeof out, "%s/outage.out", f.dir);
    snprintf(cmd, sizeof cmd,
             "(/usr/bin/python3 %s outage endpoint=ipc://%s/frigate.sock "
             "model_path=/config/ssd.tflite timeout_ms=%d tensor=%s height=300 width=300 "
             "ready_file=%s back_file=%s pid_file=%s/outage.pid recover_s=150 > %s 2>&1; "
             "echo $? > %s) </dev/null >/dev/null 2>&1 &",
             FRIGATE_CLIENT, f.dir, timeout, ssd_frame, ready, back, f.dir, out, done);
    assert_int_equal(system(cmd), 0);
    if (!wait_file(ready, done, 300000)) { /* the client failed before the outage */
        char *text = dfx_slurp(out, NULL);
        printf("%s", text ? text : "(no output)\n");
        free(text);
        fail_msg("the Frigate client got no detections before the outage");
    }
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
    sleep(35);
    start(ini);
    FILE *b = fopen(back, "w");
    assert_non_null(b);
    fclose(b);
    const bool finished = wait_file(done, NULL, 400000);
    char *text = dfx_slurp(out, NULL);
    printf("%s", text ? text : "(no output)\n");
    assert_true(finished);
    assert_non_null(text);
    assert_non_null(strstr(text, "all Frigate checks passed"));
    free(text);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
}

/* The raw messages: garbage gets an error and the endpoint serves on; uploads. */
static void test_wire(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    start("model = yolo\nrequest_timeout_ms = 60000\nallow_model_upload = yes\n");
    char model[1024];
    snprintf(model, sizeof model, "%s/yolov8n_int8/model.tflite", zoo);
    assert_int_equal(client(NULL, "wire timeout_ms=%d tensor=%s height=640 width=640 model_file=%s",
                            PATIENT_MS, yolo_frame, model),
                     0);
    assert_int_equal(metric("edged_frigate_uploads_total"), 2);
    assert_true(metric("edged_frigate_errors_total") >= 7);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
}

/* Frigate's deepstack detector with the documented api_timeout (1.0 s) and [vision]
 * max_predictions = 20: the frames are answered; and with the cap at 3 on the kite photo
 * (6 predictions of 0.4 or more), at most 3 come back, the most confident, so that Frigate's
 * 20 rows can never overflow. */
static void test_deepstack(void **state)
{
    (void)state;
    if (!zoo[0]) {
        skip();
        return;
    }
    const int port = dfx_free_port();
    const bool slow = DFX_SANITIZED || (getenv("EDGED_WRAPPER") && *getenv("EDGED_WRAPPER"));
    char ini[512];
    snprintf(ini, sizeof ini,
             "model = yolo\n[vision]\nlisten = 127.0.0.1:%d\napi_key = k\ndetection_model = "
             "ssd\nmax_predictions = 20\n",
             port);
    start(ini);
    assert_int_equal(client(NULL,
                            "deepstack port=%d jpeg=%s/images/cat_720p.jpg api_key=k "
                            "api_timeout=%s attempts=10",
                            port, zoo, slow ? "60" : "1.0"),
                     0);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
    snprintf(ini, sizeof ini,
             "model = yolo\n[vision]\nlisten = 127.0.0.1:%d\napi_key = k\ndetection_model = "
             "yolo\nmax_predictions = 3\n",
             port);
    start(ini);
    assert_int_equal(client(NULL,
                            "deepstack port=%d jpeg=%s/images/kite_and_cold.jpg api_key=k "
                            "api_timeout=60 want=3 max=3",
                            port, zoo),
                     0);
    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_documented, stop_edged),
        cmocka_unit_test_teardown(test_refused, stop_edged),
        cmocka_unit_test_teardown(test_two_models, stop_edged),
        cmocka_unit_test_teardown(test_on_demand, stop_edged),
        cmocka_unit_test_teardown(test_socket_access, stop_edged),
        cmocka_unit_test_teardown(test_deadline, stop_edged),
        cmocka_unit_test_teardown(test_wire, stop_edged),
        cmocka_unit_test_teardown(test_deepstack, stop_edged),
        cmocka_unit_test_teardown(test_outage, stop_edged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
