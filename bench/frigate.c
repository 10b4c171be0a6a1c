/* bench/frigate.c - per-frame latency through Frigate's ZMQ detector for the zoo's detectors.
 *
 * Owns: the benchmark of issue 44's point 10: which detection models fit Frigate's default
 * request_timeout_ms (200 ms) on this CPU. For each detector of ../shared/zoo (SSD MobileNet v1
 * 300x300, YOLOv5n 640x640, YOLOv8n 640x640; the zoo has no 320x320 YOLO), an edged with the
 * three models and [frigate] endpoint is sent the kite photo fitted into the model's input as
 * Frigate sends it (uint8 NHWC), through one REQ socket as Frigate's `zmq` detector does (the
 * handshake naming MODEL.tflite, then frames one at a time, no timeout so that every frame is
 * measured): median, p90 and worst round trip, and the share of frames answered within the
 * timeout. The anchor, in the same run and process: the model alone through libedge on one
 * thread (edge_interp_invoke, what edged's worker runs); TensorFlow Lite itself is not in
 * ../shared/anchors, so it is not the anchor here. ratio = model alone / round trip (1 would be
 * a free front end). Then the same with --load: two Frigate detectors at once (two cameras).
 * Usage: bench-frigate EDGED_BIN [SHARED_DIR] [--n N] [--timeout-ms MS] */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "common.h"
#include "edged_proc.h"
#include "image.h"

typedef struct det_model {
    const char *name, *zoo, *conf; /* edged's name, the zoo folder, model.conf */
    edge_fit fit;
    uint32_t w, h;
    uint8_t *frame;
} det_model;

static det_model models[] = {
    {"ssd", "ssd_mobilenet_v1_coco_quant", "[input]\nresize = stretch\n", EDGE_FIT_STRETCH, 0, 0,
     NULL},
    {"yolov5n", "yolov5n_int8", NULL, EDGE_FIT_LETTERBOX, 0, 0, NULL},
    {"yolov8n", "yolov8n_int8", NULL, EDGE_FIT_LETTERBOX, 0, 0, NULL},
};
#define N_MODELS (sizeof models / sizeof models[0])

static char dir[64], endpoint[128];
static int n_frames = 50;
static double timeout_ms = 200;

/* The model alone: median microseconds of an invoke on one thread, its input size into M. */
static double model_alone(const char *shared, det_model *m)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/zoo/%s/model.tflite", shared, m->zoo);
    edge_model_options opt = {.threads = 1};
    edge_model *em = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_model_open(path, &opt, &em, &err) || edge_interp_new(em, &it, &err)) {
        fprintf(stderr, "bench-frigate: %s: %s\n", path, err.message);
        exit(1);
    }
    edge_tensor_info in;
    edge_model_input_info(em, 0, &in);
    m->h = (uint32_t)in.dims[1], m->w = (uint32_t)in.dims[2];
    bench_times t;
    if (bench_time_invokes(it, 1.0, 10, &t)) {
        fprintf(stderr, "bench-frigate: %s: the invoke failed\n", path);
        exit(1);
    }
    edge_interp_free(it);
    edge_model_unref(em);
    return t.median_us;
}

/* The kite photo fitted into M's input as Frigate sends it. */
static void make_frame(const char *shared, det_model *m)
{
    char path[1024], err[256];
    snprintf(path, sizeof path, "%s/zoo/images/kite_and_cold.jpg", shared);
    size_t len;
    void *jpg = bench_read_file(path, &len);
    edge_image im;
    if (!jpg || edge_image_decode(jpg, len, 40000000, &im, err, sizeof err)) {
        fprintf(stderr, "bench-frigate: %s: %s\n", path, jpg ? err : "unreadable");
        exit(1);
    }
    free(jpg);
    m->frame = malloc((size_t)m->w * m->h * 3);
    edge_image_xform xf;
    edge_image_fit(&im, m->fit, 114, m->w, m->h, m->frame, &xf);
    edge_image_free(&im);
}

typedef struct series {
    const det_model *m;
    double *us; /* n_frames round trips */
    int failed;
} series;

/* Frigate's detector: a REQ socket, the handshake, then N frames; their times into S. */
static void *detector(void *arg)
{
    series *s = arg;
    void *ctx = zmq_ctx_new(), *z = zmq_socket(ctx, ZMQ_REQ);
    const int linger = 0;
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(z, endpoint);
    char msg[256], reply[512];
    snprintf(msg, sizeof msg, "{\"model_request\": true, \"model_name\": \"%s.tflite\"}",
             s->m->name);
    zmq_send(z, msg, strlen(msg), 0);
    int r = zmq_recv(z, reply, sizeof reply - 1, 0);
    reply[r > 0 ? r : 0] = 0;
    if (!strstr(reply, "\"model_loaded\":true")) {
        fprintf(stderr, "bench-frigate: the handshake for %s: %s\n", s->m->name, reply);
        s->failed = -1;
        goto out;
    }
    snprintf(msg, sizeof msg,
             "{\"shape\": [1, %u, %u, 3], \"dtype\": \"uint8\", \"model_type\": \"ssd\"}", s->m->h,
             s->m->w);
    for (int i = -3; i < n_frames; i++) { /* 3 warm-up frames */
        const double t0 = bench_now_us();
        zmq_send(z, msg, strlen(msg), ZMQ_SNDMORE);
        zmq_send(z, s->m->frame, (size_t)s->m->w * s->m->h * 3, 0);
        r = zmq_recv(z, reply, sizeof reply, 0);
        if (r != 480)
            s->failed++;
        if (i >= 0)
            s->us[i] = bench_now_us() - t0;
    }
out:
    zmq_close(z);
    zmq_ctx_term(ctx);
    return NULL;
}

static void report(const char *label, series *s, double alone_us)
{
    qsort(s->us, (size_t)n_frames, sizeof *s->us, bench_cmp_double);
    int within = 0;
    for (int i = 0; i < n_frames; i++)
        within += s->us[i] <= timeout_ms * 1000;
    const double med = s->us[n_frames / 2], p90 = s->us[n_frames * 9 / 10];
    printf("%-8s %-10s %4ux%-4u %10.1f %10.1f %10.1f %10.1f %6.2f %6d/%d %s\n", s->m->name, label,
           s->m->w, s->m->h, alone_us / 1000, med / 1000, p90 / 1000, s->us[n_frames - 1] / 1000,
           alone_us / med, within, n_frames, s->failed ? "ERRORS" : "");
}

int main(int argc, char **argv)
{
    edge_isa level;
    if (bench_kernels_arg(&argc, argv, &level)) /* --kernels LEVEL, anywhere */
        return 2;
    bench_kernels_print("edged");
    if (argc < 2) {
        fprintf(stderr, "usage: bench-frigate EDGED_BIN [SHARED_DIR] [--n N] [--timeout-ms MS] "
                        "[--kernels LEVEL]\n");
        return 2;
    }
    const char *bin = argv[1], *shared = "../shared";
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n_frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
            timeout_ms = atof(argv[++i]);
        else
            shared = argv[i];
    }
    if (n_frames < 10)
        n_frames = 10;
    snprintf(dir, sizeof dir, "/tmp/bench-frigate-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    char path[512], target[1024], conf[256], sock[160], log[256];
    snprintf(path, sizeof path, "%s/models", dir);
    mkdir(path, 0755);
    double alone[N_MODELS];
    for (size_t i = 0; i < N_MODELS; i++) {
        det_model *m = &models[i];
        alone[i] = model_alone(shared, m);
        make_frame(shared, m);
        snprintf(path, sizeof path, "%s/models/%s", dir, m->name);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/models/%s/1", dir, m->name);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/models/%s/1/model.tflite", dir, m->name);
        snprintf(target, sizeof target, "%s/zoo/%s/model.tflite", shared, m->zoo);
        if (symlink(target, path))
            return 1;
        if (m->conf) {
            snprintf(path, sizeof path, "%s/models/%s/model.conf", dir, m->name);
            bench_write_text(path, "%s", m->conf);
        }
    }
    snprintf(sock, sizeof sock, "%s/edged.sock", dir);
    snprintf(endpoint, sizeof endpoint, "ipc://%s/frigate.sock", dir);
    snprintf(conf, sizeof conf, "%s/edged.conf", dir);
    snprintf(log, sizeof log, "%s/edged.log", dir);
    bench_write_text(conf,
                     "[server]\nsocket = %s\n[models]\nrepository = %s/models\n[dbus]\nbus = none\n"
                     "[frigate]\nendpoint = %s\nrequest_timeout_ms = 600000\n",
                     sock, dir, endpoint);
    pid_t pid = bench_edged_start(bin, conf, sock, log);
    if (pid < 0)
        return 1;
    char cpu[256] = "?";
    FILE *ci = fopen("/proc/cpuinfo", "r");
    while (ci && fgets(cpu, sizeof cpu, ci) && strncmp(cpu, "model name", 10))
        ;
    if (ci)
        fclose(ci);
    cpu[strcspn(cpu, "\n")] = 0;
    printf("# %s, %ld CPUs online; %d frames per series; timeout %.0f ms\n",
           strchr(cpu, ':') ? strchr(cpu, ':') + 2 : cpu, sysconf(_SC_NPROCESSORS_ONLN), n_frames,
           timeout_ms);
    printf("# anchor: the model alone through libedge, one thread, this process (TensorFlow Lite "
           "is not in ../shared/anchors); ratio = alone / round-trip median\n");
    printf("%-8s %-10s %9s %10s %10s %10s %10s %6s %8s\n", "model", "clients", "input", "alone_ms",
           "median_ms", "p90_ms", "worst_ms", "ratio", "in_time");
    int rc = 0;
    for (size_t i = 0; i < N_MODELS; i++) {
        series s[2] = {{.m = &models[i]}, {.m = &models[i]}};
        for (int k = 0; k < 2; k++)
            s[k].us = calloc((size_t)n_frames, sizeof(double));
        detector(&s[0]);
        report("1", &s[0], alone[i]);
        memset(s[0].us, 0, (size_t)n_frames * sizeof(double));
        s[0].failed = 0;
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            pthread_create(&t[k], NULL, detector, &s[k]);
        for (int k = 0; k < 2; k++)
            pthread_join(t[k], NULL);
        report("2 at once", &s[0], alone[i]);
        report("2 at once", &s[1], alone[i]);
        rc |= s[0].failed || s[1].failed;
        for (int k = 0; k < 2; k++)
            free(s[k].us);
    }
    bench_edged_log_problems(log, "edged");
    bench_edged_stop(&pid);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {
    }
    return rc;
}
