/* bench/wake.c - wake-word streams per core held in real time, for each engine, against the same
 * pipeline on LiteRT.js in the same run (issue 47).
 *
 * Owns: the wake-word benchmark. For each engine (openWakeWord: the melspectrogram and embedding
 * models and the alexa_v0.1 classifier; microWakeWord: TFLite Micro's front end and okay_nabu),
 * one wake_stream (audio/wake.h, one thread, --kernels LEVEL as every bench) is fed a recording of
 * ../shared/voice/wav again and again in 1,280-sample chunks, at least --min-seconds of CPU time
 * and 10 s of audio: the figure is this thread's CPU time per second of audio (cpu_ms/s), and
 * its inverse, the streams one core holds in real time (streams/core). The anchor, measured in
 * the same run: the same pipeline on LiteRT.js (bench/wake_litert.mjs, a child node process, its
 * loop's own CPU time): openWakeWord's with tests/voice/oww_oracle.mjs; microWakeWord's model
 * invoked frame by frame on feature frames computed here by edged's C front end (written to a
 * file), so its figure is LiteRT.js's model plus our front end's CPU time (timed alone here).
 * ratio = edged streams/core / LiteRT.js streams/core (above 1: edged holds more). Without
 * --litert (a set-up copy of ../shared/oracle) or node, the anchor line says why and edged's
 * figures print without ratios. Usage:
 * bench-wake [--min-seconds S] [--kernels LEVEL] [--litert ORACLE_DIR] [--engine oww|mww]
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audio/microfrontend.h"
#include "audio/wake.h"
#include "common.h"

#define CHUNK 1280     /* samples fed a call (80 ms) */
#define MIN_AUDIO_S 10 /* audio fed at least */

typedef struct engine {
    const char *tag, *what;
    const char *folder;         /* in ../shared/voice */
    const char *const files[4]; /* linked into the set's folder */
    const char *wav;            /* in ../shared/voice/wav */
    const char *model;          /* the LiteRT.js side's model */
} engine;

static const engine engines[] = {
    {"oww",
     "openWakeWord: melspectrogram + embedding + alexa_v0.1",
     "openwakeword",
     {"melspectrogram.tflite", "embedding_model.tflite", "alexa_v0.1.tflite", NULL},
     "alexa",
     "alexa_v0.1"},
    {"mww",
     "microWakeWord: front end + okay_nabu",
     "microwakeword",
     {"okay_nabu.json", "okay_nabu.tflite", NULL, NULL},
     "okay_nabu",
     "okay_nabu.tflite"},
};

typedef struct cli {
    edge_isa isa; /* --kernels (EDGE_ISA_AUTO: the default) */
    double min_s;
    const char *litert, *only;
} cli;

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The 16-bit PCM of a WAV file (its data chunk), malloc'd, *N samples; NULL when unreadable. */
static int16_t *wav_read(const char *path, size_t *n)
{
    size_t len = 0;
    uint8_t *b = bench_read_file(path, &len);
    if (!b)
        return NULL;
    size_t at = 12;
    while (at + 8 <= len && memcmp(b + at, "data", 4) != 0)
        at += 8 + (b[at + 4] | (size_t)b[at + 5] << 8 | (size_t)b[at + 6] << 16 |
                   (size_t)b[at + 7] << 24);
    if (at + 8 > len) {
        free(b);
        return NULL;
    }
    size_t bytes = len - at - 8;
    int16_t *pcm = malloc(bytes + 2);
    if (pcm)
        for (size_t i = 0; i < bytes / 2; i++)
            pcm[i] = (int16_t)(b[at + 8 + 2 * i] | b[at + 9 + 2 * i] << 8);
    *n = bytes / 2;
    free(b);
    return pcm;
}

/* A folder under TMP holding links to E's files: the wake_set's folder. */
static int make_set_dir(const char *voice, const engine *e, const char *tmp, char *dir, size_t len)
{
    snprintf(dir, len, "%s/%s", tmp, e->tag);
    if (mkdir(dir, 0700))
        return -1;
    char abs[PATH_MAX];
    if (!realpath(voice, abs)) /* the links live in TMP: a relative ../shared would dangle */
        return -1;
    for (size_t i = 0; i < 4 && e->files[i]; i++) {
        char from[4096 + PATH_MAX], to[4200];
        snprintf(from, sizeof from, "%s/%s/%s", abs, e->folder, e->files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, e->files[i]);
        if (symlink(from, to))
            return -1;
    }
    return 0;
}

/* edged: CPU seconds of one stream per second of audio, and the detections of one pass. */
static int time_edged(const char *dir, const int16_t *pcm, size_t n, double min_s, double *per_s,
                      size_t *hits)
{
    edge_error err = {0};
    wake_set *set = NULL;
    wake_stream *st = NULL;
    if (wake_set_open(dir, &(wake_set_options){.threads = 1}, NULL, NULL, &set, &err) ||
        !wake_set_count(set) || wake_stream_new(set, NULL, 0, NULL, NULL, &st, &err)) {
        printf("# edged: cannot open %s: %s\n", dir, err.message[0] ? err.message : "no model");
        wake_set_free(set);
        return -1;
    }
    wake_detection det[8];
    size_t found = 0, passes = 0;
    double audio = 0;
    *hits = 0;
    const double t0 = cpu_s();
    while (cpu_s() - t0 < min_s || audio < MIN_AUDIO_S) {
        for (size_t at = 0; at < n; at += CHUNK) {
            const size_t k = n - at < CHUNK ? n - at : CHUNK;
            if (wake_stream_feed(st, pcm + at, k, det, 8, &found, &err)) {
                printf("# edged: %s\n", err.message);
                wake_stream_free(st);
                wake_set_free(set);
                return -1;
            }
            if (!passes)
                *hits += found;
        }
        passes++;
        audio += (double)n / WAKE_RATE;
    }
    *per_s = (cpu_s() - t0) / audio;
    wake_stream_free(st);
    wake_set_free(set);
    return 0;
}

/* microWakeWord's int8 feature frames of PCM (as ESPHome quantizes the front end's uint16
 * values) into PATH; *PER_S gets the front end's CPU seconds per second of audio. */
static int mww_features(const int16_t *pcm, size_t n, const char *path, double min_s, double *per_s)
{
    mfe_config c;
    mfe_config_default_mww(&c);
    mfe_state *s = NULL;
    edge_error err = {0};
    if (mfe_new(&c, WAKE_RATE, &s, &err))
        return -1;
    const int ch = mfe_channels(s);
    const size_t max = (n / 160 + 1) * (size_t)ch; /* a frame every 10 ms at most */
    int8_t *q = malloc(max);
    size_t nq = 0;
    uint16_t out[64];
    double audio = 0;
    const double t0 = cpu_s();
    for (int pass = 0; q && (pass == 0 || cpu_s() - t0 < min_s / 4 || audio < MIN_AUDIO_S);
         pass++) {
        mfe_reset(s);
        for (size_t at = 0; at < n;) {
            size_t used = 0;
            if (mfe_process(s, pcm + at, n - at, &used, out) == 1 && pass == 0)
                for (int i = 0; i < ch && nq < max; i++) {
                    const int32_t v = ((int32_t)out[i] * 256 + 333) / 666 - 128;
                    q[nq++] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
                }
            at += used ? used : n - at;
        }
        audio += (double)n / WAKE_RATE;
    }
    *per_s = (cpu_s() - t0) / audio;
    mfe_free(s);
    FILE *f = q ? fopen(path, "wb") : NULL;
    const int rc = f && fwrite(q, 1, nq, f) == nq ? 0 : -1;
    if (f && fclose(f))
        return -1;
    free(q);
    return rc;
}

/* The anchor: LiteRT.js's CPU seconds per second of audio (0 with the reason printed). */
static double time_litert(const cli *c, const char *const *args)
{
    bench_anchor a;
    bench_anchor_locate(&a, "/usr/bin/env", NULL);
    double per_s = 0, cpu = 0, audio = 0;
    if (bench_anchor_run(&a, args))
        printf("# anchor did not run: %s\n", a.problem);
    else if (!a.out || !strstr(a.out, "cpu_s ") ||
             sscanf(strstr(a.out, "cpu_s "), "cpu_s %lf audio_s %lf", &cpu, &audio) != 2 ||
             audio <= 0)
        printf("# anchor printed no figure: %.300s\n", a.out ? a.out : "");
    else
        per_s = cpu / audio;
    (void)c;
    bench_anchor_free(&a);
    return per_s;
}

static void print_row(const char *who, const char *level, double per_s, const char *note)
{
    printf("%-10s %-10s %10.2f %12.1f  %s\n", who, level, per_s * 1000, per_s > 0 ? 1 / per_s : 0,
           note);
}

static int run_engine(const char *voice, const engine *e, const cli *c, const char *tmp)
{
    char dir[2048], wav[4096], script[4096], minbuf[32];
    snprintf(wav, sizeof wav, "%s/wav/%s.wav", voice, e->wav);
    size_t n = 0;
    int16_t *pcm = wav_read(wav, &n);
    if (!pcm || !n || make_set_dir(voice, e, tmp, dir, sizeof dir)) {
        printf("# %s: cannot read %s or make its folder\n", e->tag, wav);
        free(pcm);
        return 1;
    }
    printf("# %s (%s, %.2f s, fed again and again in %d-sample chunks)\n", e->what, wav,
           (double)n / WAKE_RATE, CHUNK);
    double edged = 0;
    size_t hits = 0;
    const int rc = time_edged(dir, pcm, n, c->min_s, &edged, &hits);
    char note[160];
    snprintf(note, sizeof note, "detections in the first pass: %zu", hits);
    if (!rc)
        print_row("edged", edge_isa_name(edge_isa_effective(c->isa)), edged, note);
    double anchor = 0, fe = 0;
    if (c->litert) {
        snprintf(script, sizeof script, "%s/wake_litert.mjs", BENCH_SRC_DIR);
        snprintf(minbuf, sizeof minbuf, "%g", c->min_s);
        if (!strcmp(e->tag, "oww")) {
            char owwdir[4096];
            snprintf(owwdir, sizeof owwdir, "%s/openwakeword", voice);
            const char *args[] = {"node", script,   "oww",  c->litert, owwdir,
                                  wav,    e->model, minbuf, NULL};
            anchor = time_litert(c, args);
        } else {
            char feat[4200], model[4096];
            snprintf(feat, sizeof feat, "%s/features.bin", tmp);
            snprintf(model, sizeof model, "%s/microwakeword/%s", voice, e->model);
            if (mww_features(pcm, n, feat, c->min_s, &fe)) {
                printf("# cannot compute the feature frames for LiteRT.js\n");
            } else {
                const char *args[] = {"node", script, "mww", c->litert, model, feat, minbuf, NULL};
                anchor = time_litert(c, args);
                unlink(feat);
            }
            if (anchor > 0) {
                snprintf(note, sizeof note,
                         "model on LiteRT.js %.2f + edged's C front end %.2f cpu_ms/s",
                         anchor * 1000, fe * 1000);
                anchor += fe;
            }
        }
        if (anchor > 0)
            print_row("LiteRT.js", "wasm", anchor,
                      !strcmp(e->tag, "mww") ? note : "tests/voice/oww_oracle.mjs's pipeline");
    } else {
        printf("# no anchor: --litert ORACLE_DIR (a copy of ../shared/oracle after its setup.sh) "
               "runs the same pipeline on LiteRT.js\n");
    }
    if (!rc && anchor > 0)
        printf("%-10s ratio = edged streams/core / LiteRT.js streams/core = %.2f (above 1: edged "
               "holds more)\n",
               e->tag, anchor / edged);
    free(pcm);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    edge_isa isa;
    if (bench_kernels_arg(&argc, argv, &isa))
        return 2;
    cli c = {.isa = isa, .min_s = 3.0};
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--min-seconds") && v) {
            c.min_s = atof(v);
            i++;
        } else if (!strcmp(argv[i], "--litert") && v) {
            c.litert = v;
            i++;
        } else if (!strcmp(argv[i], "--engine") && v) {
            c.only = v;
            i++;
        } else {
            fprintf(stderr,
                    "usage: %s [--min-seconds S] [--kernels LEVEL] [--litert ORACLE_DIR] "
                    "[--engine oww|mww]\n",
                    argv[0]);
            return 2;
        }
    }
    const char *shared = getenv("EDGE_SHARED_DIR") ? getenv("EDGE_SHARED_DIR") : "../shared";
    char voice[1024], tmp[] = "/tmp/bench-wake-XXXXXX";
    snprintf(voice, sizeof voice, "%s/voice", shared);
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    bench_kernels_print("libedge");
    printf("# one stream on one thread; cpu_ms/s = CPU ms per second of audio; streams/core = "
           "1000 / cpu_ms/s (real time held)\n");
    printf("%-10s %-10s %10s %12s  %s\n", "who", "level", "cpu_ms/s", "streams/core", "note");
    int failures = 0;
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
        if (!c.only || !strcmp(c.only, engines[i].tag))
            failures += run_engine(voice, &engines[i], &c, tmp);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return failures ? 1 : 0;
}
