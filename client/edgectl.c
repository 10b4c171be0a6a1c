/* client/edgectl.c - edgectl: the command-line client of edged.
 *
 * Owns: the command dispatch, --help and --version, and small output helpers
 * shared by the subcommands. The offline subcommands (inspect, run) use
 * libedge directly and need no daemon; the others talk to edged through
 * libedgeclient (edgectl_daemon.h). */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

#include "edgectl.h"
#include "edgectl_daemon.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: edgectl COMMAND [ARGS]\n"
            "\n"
            "Daemon commands (talk to edged over its Unix socket):\n"
            "  infer MODEL --input F [--input F ...] [--format json|raw|npy] [--output F]\n"
            "        [--top K [--labels F]] [--version V] [--priority high|normal]\n"
            "        [--timeout-us N]           one inference; inputs as raw bytes, JSON\n"
            "                                  values (quantized for you) or .npy\n"
            "  models                          models: versions, state, when loaded, version\n"
            "                                  policy, the last load that failed\n"
            "  status                          health, server, models and queue depths\n"
            "  load MODEL | unload MODEL       load or unload a model\n"
            "  reload [MODEL]                  read MODEL (or every model) from the\n"
            "                                  repository again\n"
            "  push MODEL FILE.tflite [--version V]\n"
            "                                  a new version (and its .sig, .sha256), checked\n"
            "                                  and loaded by edged (administrators)\n"
            "  bench MODEL [-n N] [-c CONNS] [-d DEPTH] [--input F]\n"
            "                                  latency percentiles and throughput\n"
            "  profile MODEL [--version V] [--start | --stop] [--reset]\n"
            "                                  the daemon's per-node profile of a model\n"
            "                                  version (start/stop/reset: administrators)\n"
            "  Each takes --socket PATH (default $" EDGE_CLIENT_SOCKET_ENV
            " or " EDGE_CLIENT_DEFAULT_SOCKET ")\n"
            "  and --json (output for scripts).\n"
            "\n"
            "Offline commands (no daemon needed):\n"
            "  inspect FILE.tflite [--json] [--backend SPEC]  operators, tensors, memory plan, "
            "partition\n"
            "  run FILE.tflite --input F [--input F ...] [--output F] [--format json|raw]\n"
            "      [--shape [I:]D0,D1,...]     run the model once on raw input bytes (--shape:\n"
            "                                  input I resized where the model allows it)\n"
            "  run FILE.tflite --profile [--runs N] [--input F ...]\n"
            "                                  time each node over N invokes\n"
            "  detect IMAGE --model FILE.tflite [--type yolov8|yolov5|yolox|ssd] [--labels F]\n"
            "                                  objects in a JPEG or PNG, in its pixels\n"
            "  quantize FILE.tflite --calibrate FILE_OR_DIR [...] --output OUT.tflite\n"
            "      [--io float|int8] [--method minmax|percentile|mse]\n"
            "                                  an int8 model from a float32 one, calibrated\n"
            "                                  on raw input samples\n"
            "  cache ls|prune [--dir DIR] [--max-bytes N]\n"
            "                                  the packed-weight cache's files (default\n"
            "                                  /var/cache/edged); prune: the least recently\n"
            "                                  used go until N bytes are left (0: all)\n"
            "  keygen STEM                     an Ed25519 key pair: STEM.key (secret),\n"
            "                                  STEM.pub (for /etc/edged/trusted-keys.d)\n"
            "  sign FILE.tflite --key STEM.key [--digest]\n"
            "                                  FILE.tflite.sig (and .sha256) for [models] verify\n"
            "  verify FILE.tflite [--key STEM.pub | --keys DIR | --digest]\n"
            "                                  check it as edged will\n"
            "\n"
            "Exit codes: 0 success, 1 the model was refused, the run failed or the daemon\n"
            "            answered with an error, 2 bad command line, 3 a file could not be\n"
            "            read or written, 4 the daemon is not running or unreachable.\n");
}

void edgectl_bytes(int64_t n, char *buf, size_t len)
{
    static const char unit[] = "KMGT";
    if (n < 1024) {
        snprintf(buf, len, "%lld", (long long)n);
        return;
    }
    double v = (double)n / 1024;
    int u = 0;
    while (v >= 1024 && u < 3)
        v /= 1024, u++;
    snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, unit[u]);
}

void edgectl_ago(int64_t when_ms, char *buf, size_t len)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const int64_t s = ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - when_ms) / 1000;
    if (!when_ms)
        snprintf(buf, len, "-");
    else if (s < 120)
        snprintf(buf, len, "%llds", (long long)(s > 0 ? s : 0));
    else if (s < 7200)
        snprintf(buf, len, "%lldm", (long long)s / 60);
    else if (s < 172800)
        snprintf(buf, len, "%lldh", (long long)s / 3600);
    else
        snprintf(buf, len, "%lldd", (long long)s / 86400);
}

void edgectl_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void edgectl_print_shape(FILE *f, const int32_t *dims, int rank)
{
    fputc('[', f);
    for (int i = 0; i < rank; i++)
        fprintf(f, i ? ",%d" : "%d", (int)dims[i]);
    fputc(']', f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EDGECTL_EUSAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return EDGECTL_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("edgectl %s\n", EDGE_VERSION);
        return EDGECTL_OK;
    }
    if (!strcmp(cmd, "inspect"))
        return edgectl_inspect(argc - 1, argv + 1);
    if (!strcmp(cmd, "run"))
        return edgectl_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "detect"))
        return edgectl_detect(argc - 1, argv + 1);
    if (!strcmp(cmd, "cache"))
        return edgectl_cache(argc - 1, argv + 1);
    if (!strcmp(cmd, "quantize"))
        return edgectl_quantize_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "keygen") || !strcmp(cmd, "sign") || !strcmp(cmd, "verify"))
        return edgectl_sign(argc - 1, argv + 1);
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } daemon_cmds[] = {
        {"infer", edgectl_infer}, {"models", edgectl_models},   {"status", edgectl_status},
        {"load", edgectl_load},   {"unload", edgectl_unload},   {"reload", edgectl_reload},
        {"bench", edgectl_bench}, {"profile", edgectl_profile}, {"push", edgectl_push},
    };
    for (size_t i = 0; i < sizeof daemon_cmds / sizeof daemon_cmds[0]; i++)
        if (!strcmp(cmd, daemon_cmds[i].name))
            return daemon_cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "edgectl: unknown command '%s' (try edgectl --help)\n", cmd);
    return EDGECTL_EUSAGE;
}
