/* client/cmd_quantize.c - `edgectl quantize MODEL --calibrate FILE_OR_DIR ... --output OUT`.
 *
 * Owns: the command line, the calibration samples (raw .bin files, each holding every input's
 * bytes in subgraph 0's order, or pictures for a model of one image input, fitted as a
 * model.conf's [input] says or as --resize/--order/--mean/--std say; named one by one or found in
 * a folder: its *.bin, *.jpg, *.jpeg and *.png files sorted by name), and the report.
 * Does not own: calibrating and writing the int8 model (quantize.c), decoding and fitting a
 * picture (vision/image.c, vision/pipeline.c), reading [input] (vision/inputconf.c). */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "edge/runtime.h"
#include "edgectl.h"
#include "image.h"
#include "inputconf.h"
#include "pipeline.h"
#include "quantize.h"

#define QZ_MAX_FILES 4096
#define QZ_MAX_PIXELS (64u << 20) /* a calibration picture's pixels at most */

typedef struct files {
    char **path;
    size_t n;
    /* pictures: the model's input 0 and how a picture becomes it */
    edge_tensor_info in;
    edge_vision_input fit;
    uint8_t *scratch; /* in's W x H x 3 */
} files;

/* PATH ends in EXT (case-insensitive). */
static bool ends_with(const char *path, const char *ext)
{
    const size_t n = strlen(path), e = strlen(ext);
    return n > e && !strcasecmp(path + n - e, ext);
}

static bool is_picture(const char *path)
{
    return ends_with(path, ".jpg") || ends_with(path, ".jpeg") || ends_with(path, ".png");
}

static int usage(void)
{
    fprintf(
        stderr,
        "usage: edgectl quantize MODEL.tflite --calibrate FILE_OR_DIR [--calibrate ...]\n"
        "                        --output OUT.tflite [--io float|int8]\n"
        "                        [--method minmax|percentile|mse]\n"
        "                        [--keep-float OP|NODE[,...]] [--allow-float]\n"
        "                        [--weights int8|int4|int4-all [--int4-error X]]\n"
        "                        [--prune SPARSITY [--dense]] [--no-bias-correction]\n"
        "                        [--rounding adaptive|nearest] [--activations int8|int16]\n"
        "                        [--conf model.conf] [--resize letterbox|stretch|crop]\n"
        "                        [--order rgb|bgr] [--mean M[,M,M]] [--std S[,S,S]] [--pad "
        "0..255]\n"
        "  --calibrate  a raw .bin sample (every input's bytes, in order), a JPEG or PNG picture\n"
        "               (a model of one image input), or a folder of them\n"
        "  --conf       the model's model.conf: its [input] section fits the pictures\n"
        "  --resize --order --mean --std --pad   [input]'s keys, over --conf's (without any:\n"
        "               letterbox, RGB, float inputs byte / 255 in [0, 1]; --mean 127.5\n"
        "               --std 127.5 gives [-1, 1])\n"
        "  --io         float (default): float32 inputs and outputs (QUANTIZE/DEQUANTIZE\n"
        "               added), a drop-in replacement; int8: quantized inputs and outputs\n"
        "               (int8, or int16 with --activations int16)\n"
        "  --method     how each activation's range is chosen from the calibration values:\n"
        "               minmax (default), percentile (99.99%% kept), mse (least squared error)\n"
        "  --keep-float operators (by name, e.g. HARD_SWISH) or nodes (by index, as edgectl\n"
        "               inspect counts them) left float: DEQUANTIZE before, QUANTIZE after\n"
        "  --allow-float an operator it cannot quantize is left float likewise (without it:\n"
        "               refused, naming the node)\n"
        "  --weights    int8 (default); int4: FC, CONV_2D and DEPTHWISE_CONV_2D weights in\n"
        "               TFLite's INT4 (per channel, symmetric, two a byte) where measured\n"
        "               on the calibration samples to cost least: the model's output error\n"
        "               may grow to X times the int8 model's (--int4-error X, default 8);\n"
        "               int4-all: every weights tensor INT4\n"
        "  --prune      0 to 0.99: that share of each output channel's FC and CONV_2D weights\n"
        "               set to 0 (smallest first), written sparse (with DENSIFY) where smaller\n"
        "  --dense      pruned weights written dense with their zeros (for runtimes that do\n"
        "               not densify int8 weights: LiteRT.js's XNNPACK refuses them)\n"
        "  --no-bias-correction  biases as the float model's (default: each output channel's\n"
        "               bias takes back the shift its rounded weights give the channel's mean\n"
        "               over the calibration samples)\n"
        "  --rounding   adaptive (default): each output channel's weights rounded up or down as\n"
        "               lowers the error of its output on the input patches of the calibration\n"
        "               samples (their covariance); nearest: each weight to the nearest step\n"
        "  --activations int8 (default); int16: 16x8 quantization, TFLite's int16\n"
        "               activations mode: activations int16 (symmetric, zero point 0), biases\n"
        "               int64, weights int8; closer to the float model, slower than int8\n");
    return EDGECTL_EUSAGE;
}

static int add_file(files *f, const char *path)
{
    if (f->n >= QZ_MAX_FILES) {
        fprintf(stderr, "edgectl: more than %d calibration files\n", QZ_MAX_FILES);
        return EDGECTL_EUSAGE;
    }
    char **p = realloc(f->path, (f->n + 1) * sizeof *p);
    if (!p || !(p[f->n] = strdup(path))) {
        free(p ? p : f->path);
        f->path = NULL;
        return EDGECTL_EFAIL;
    }
    f->path = p;
    f->n++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* PATH: a file, or a folder whose *.bin files are added in name order. */
static int add_source(files *f, const char *path)
{
    struct stat st;
    if (stat(path, &st)) {
        fprintf(stderr, "edgectl: --calibrate %s: %s\n", path, strerror(errno));
        return EDGECTL_EIO;
    }
    if (!S_ISDIR(st.st_mode))
        return add_file(f, path);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "edgectl: --calibrate %s: %s\n", path, strerror(errno));
        return EDGECTL_EIO;
    }
    const size_t first = f->n;
    int rc = 0;
    for (struct dirent *e; !rc && (e = readdir(d));) {
        const size_t len = strlen(e->d_name);
        if (len < 5 || (strcmp(e->d_name + len - 4, ".bin") && !is_picture(e->d_name)))
            continue;
        char full[4096];
        if (snprintf(full, sizeof full, "%s/%s", path, e->d_name) >= (int)sizeof full)
            continue;
        rc = add_file(f, full);
    }
    closedir(d);
    if (!rc && f->n == first) {
        fprintf(stderr,
                "edgectl: --calibrate %s: the folder has no .bin, .jpg, .jpeg or .png files\n",
                path);
        return EDGECTL_EUSAGE;
    }
    qsort(f->path + first, f->n - first, sizeof *f->path, by_name);
    return rc;
}

/* Picture K decoded and fitted into DST (input 0's BYTES). */
static int picture(const files *f, size_t k, uint8_t *dst, size_t bytes, edge_error *err)
{
    FILE *fp = fopen(f->path[k], "rb");
    long size = -1;
    uint8_t *data = NULL;
    if (fp && !fseek(fp, 0, SEEK_END) && (size = ftell(fp)) >= 0 && !fseek(fp, 0, SEEK_SET) &&
        (data = malloc((size_t)size + 1)) && fread(data, 1, (size_t)size, fp) != (size_t)size)
        size = -1;
    const int open_errno = errno;
    if (fp)
        fclose(fp);
    if (!fp || size < 0 || !data) {
        snprintf(err->message, sizeof err->message, "calibration picture %s: %s", f->path[k],
                 !fp ? strerror(open_errno) : "cannot read it");
        free(data);
        return err->code = EDGE_EIO;
    }
    edge_image im = {0};
    char msg[200];
    const int bad = edge_image_decode(data, (size_t)size, QZ_MAX_PIXELS, &im, msg, sizeof msg);
    free(data);
    if (bad) {
        snprintf(err->message, sizeof err->message, "calibration picture %s: %s", f->path[k], msg);
        return err->code = EDGE_EINVAL;
    }
    (void)bytes;
    edge_image_xform xf;
    edge_vision_fill(&f->in, &f->fit, &im, f->scratch, dst, &xf);
    edge_image_free(&im);
    return 0;
}

/* qz_sample_fn: bytes [OFFSET, OFFSET + BYTES) of file K, which must hold TOTAL; a picture
 * fills input 0 (the only one, checked before). */
static int sample(void *arg, size_t k, size_t offset, size_t total, uint8_t *dst, size_t bytes,
                  edge_error *err)
{
    const files *f = arg;
    if (is_picture(f->path[k]))
        return picture(f, k, dst, bytes, err);
    FILE *fp = fopen(f->path[k], "rb");
    if (!fp) {
        snprintf(err->message, sizeof err->message, "calibration file %s: %s", f->path[k],
                 strerror(errno));
        return err->code = EDGE_EIO;
    }
    int rc = 0;
    long size = fseek(fp, 0, SEEK_END) ? -1 : ftell(fp);
    if (size < 0 || (size_t)size != total) {
        snprintf(err->message, sizeof err->message,
                 "calibration file %s has %ld bytes, the model's inputs take %zu (raw tensors, "
                 "every input in order)",
                 f->path[k], size, total);
        rc = EDGE_EINVAL;
    } else if (fseek(fp, (long)offset, SEEK_SET) || fread(dst, 1, bytes, fp) != bytes) {
        snprintf(err->message, sizeof err->message, "calibration file %s: cannot read it",
                 f->path[k]);
        rc = EDGE_EIO;
    }
    fclose(fp);
    return err->code = rc;
}

static void files_free(files *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->path[i]);
    free(f->path);
    free(f->scratch);
}

/* When F has pictures: MODEL must take one image, whose info and a scratch buffer F gets. */
static int picture_input(files *f, const char *model)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += is_picture(f->path[i]);
    if (!n)
        return 0;
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open(model, NULL, &m, &err)) {
        fprintf(stderr, "edgectl: quantize: %s: %s\n", model, err.message);
        return EDGECTL_EFAIL;
    }
    uint32_t w = 0, h = 0;
    char msg[256];
    int rc = EDGECTL_OK;
    if (edge_model_input_count(m) != 1) {
        snprintf(msg, sizeof msg,
                 "has %zu inputs: pictures calibrate a model of one image input "
                 "(give raw .bin samples)",
                 edge_model_input_count(m));
        rc = EDGECTL_EUSAGE;
    } else if (edge_vision_image_input(m, &w, &h, msg, sizeof msg)) {
        rc = EDGECTL_EUSAGE;
    } else {
        edge_model_input_info(m, 0, &f->in);
        if (!(f->scratch = malloc((size_t)w * h * 3)))
            rc = EDGECTL_EFAIL;
    }
    edge_model_unref(m);
    if (rc == EDGECTL_EUSAGE)
        fprintf(stderr, "edgectl: quantize: %s: %s\n", model, msg);
    return rc;
}

static const char *method_name(qz_method m)
{
    return m == QZ_PERCENTILE ? "percentile" : m == QZ_MSE ? "mse" : "minmax";
}

int edgectl_quantize_cmd(int argc, char **argv)
{
    const char *model = NULL, *output = NULL;
    qz_options o = {.method = QZ_MINMAX, .percentile = 99.99f};
    files f = {0};
    edge_vision_input_default(&f.fit);
    const char *conf = NULL;
    /* [input]'s keys given as options, applied over --conf's */
    const char *keys[8], *values[8];
    size_t n_keys = 0;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        const bool has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            files_free(&f);
            usage();
            return EDGECTL_OK;
        } else if (!strcmp(a, "--calibrate") && has_value) {
            rc = add_source(&f, argv[++i]);
        } else if (!strcmp(a, "--conf") && has_value) {
            conf = argv[++i];
        } else if ((!strcmp(a, "--resize") || !strcmp(a, "--order") || !strcmp(a, "--mean") ||
                    !strcmp(a, "--std") || !strcmp(a, "--pad")) &&
                   has_value && n_keys < 8) {
            keys[n_keys] = a + 2;
            values[n_keys++] = argv[++i];
        } else if (!strcmp(a, "--keep-float") && has_value) {
            o.keep_float = argv[++i];
        } else if (!strcmp(a, "--weights") && has_value) {
            const char *v = argv[++i];
            o.weight_bits = !strcmp(v, "int4") || !strcmp(v, "int4-all") ? 4
                            : !strcmp(v, "int8")                         ? 8
                                                                         : 0;
            o.int4_all = !strcmp(v, "int4-all");
            if (!o.weight_bits) {
                fprintf(stderr, "edgectl: --weights %s: expected int8, int4 or int4-all\n", v);
                rc = EDGECTL_EUSAGE;
            }
        } else if (!strcmp(a, "--prune") && has_value) {
            const char *v = argv[++i];
            char *end;
            const double d = strtod(v, &end);
            if (end == v || *end || !(d >= 0.0 && d <= 0.99)) {
                fprintf(stderr, "edgectl: --prune %s: expected a share from 0 to 0.99\n", v);
                rc = EDGECTL_EUSAGE;
            }
            o.prune = (float)d;
        } else if (!strcmp(a, "--int4-error") && has_value) {
            const char *v = argv[++i];
            char *end;
            const double d = strtod(v, &end);
            if (end == v || *end || !(d >= 1.0 && d <= 1000.0)) {
                fprintf(stderr, "edgectl: --int4-error %s: expected a factor from 1 to 1000\n", v);
                rc = EDGECTL_EUSAGE;
            }
            o.int4_error = d;
        } else if (!strcmp(a, "--dense")) {
            o.dense = 1;
        } else if (!strcmp(a, "--no-bias-correction")) {
            o.no_bias_correction = 1;
        } else if (!strcmp(a, "--rounding") && has_value) {
            const char *v = argv[++i];
            if (!strcmp(v, "nearest"))
                o.nearest_rounding = 1;
            else if (!strcmp(v, "adaptive"))
                o.nearest_rounding = 0;
            else {
                fprintf(stderr, "edgectl: --rounding %s: expected nearest or adaptive\n", v);
                rc = EDGECTL_EUSAGE;
            }
        } else if (!strcmp(a, "--activations") && has_value) {
            const char *v = argv[++i];
            if (!strcmp(v, "int16"))
                o.act16 = 1;
            else if (!strcmp(v, "int8"))
                o.act16 = 0;
            else {
                fprintf(stderr, "edgectl: --activations %s: expected int8 or int16\n", v);
                rc = EDGECTL_EUSAGE;
            }
        } else if (!strcmp(a, "--allow-float")) {
            o.allow_float = 1;
        } else if (!strcmp(a, "--output") && has_value) {
            output = argv[++i];
        } else if (!strcmp(a, "--io") && has_value) {
            const char *v = argv[++i];
            if (!strcmp(v, "int8"))
                o.io_int8 = 1;
            else if (strcmp(v, "float")) {
                fprintf(stderr, "edgectl: --io %s: expected float or int8\n", v);
                rc = EDGECTL_EUSAGE;
            }
        } else if (!strcmp(a, "--method") && has_value) {
            const char *v = argv[++i];
            if (!strcmp(v, "minmax"))
                o.method = QZ_MINMAX;
            else if (!strcmp(v, "percentile"))
                o.method = QZ_PERCENTILE;
            else if (!strcmp(v, "mse"))
                o.method = QZ_MSE;
            else {
                fprintf(stderr, "edgectl: --method %s: expected minmax, percentile or mse\n", v);
                rc = EDGECTL_EUSAGE;
            }
        } else if (a[0] == '-' || model) {
            fprintf(stderr, "edgectl: quantize: unexpected argument '%s'%s\n", a,
                    a[0] == '-' && !has_value ? " (missing its value?)" : "");
            rc = usage();
        } else {
            model = a;
        }
    }
    if (!rc && (!model || !output || !f.n)) {
        fprintf(stderr, "edgectl: quantize needs MODEL, --calibrate and --output\n");
        rc = usage();
    }
    char msg[512];
    if (!rc && conf && edge_vision_input_load(conf, &f.fit, msg, sizeof msg)) {
        fprintf(stderr, "edgectl: quantize: --conf %s\n", msg);
        rc = EDGECTL_EUSAGE;
    }
    for (size_t k = 0; k < n_keys && !rc; k++)
        if (edge_vision_input_set(&f.fit, keys[k], values[k], msg, sizeof msg)) {
            fprintf(stderr, "edgectl: quantize: --%s %s: %s\n", keys[k], values[k], msg);
            rc = EDGECTL_EUSAGE;
        }
    if (!rc)
        rc = picture_input(&f, model);
    if (rc) {
        files_free(&f);
        return rc;
    }
    o.n_samples = f.n;
    o.sample = sample;
    o.arg = &f;
    edge_error err = {0};
    qz_report rep;
    const int qrc = qz_quantize(model, output, &o, &rep, &err);
    files_free(&f);
    if (qrc) {
        fprintf(stderr, "edgectl: quantize: %s\n",
                err.message[0] ? err.message : edge_strerror(qrc));
        return qrc == EDGE_EIO ? EDGECTL_EIO : EDGECTL_EFAIL;
    }
    char bits[128];
    if (o.weight_bits == 4 && !o.int4_all)
        snprintf(bits, sizeof bits, "%d int4, %d int8; output error %.2g, int8 alone %.2g",
                 rep.n_int4, rep.n_weights - rep.n_int4, rep.int4_error, rep.int8_error);
    else if (o.weight_bits == 4)
        snprintf(bits, sizeof bits, "%d int4, %d int8", rep.n_int4, rep.n_weights - rep.n_int4);
    else
        snprintf(bits, sizeof bits, "int8");
    printf("%s: %s model written (%zu bytes): %d nodes (%d left float), %d weight tensors per "
           "channel (%s, %d sparse), %zu calibration samples, method %s, %s inputs and outputs\n",
           output, o.act16 ? "16x8 (int16 activations)" : "int8", rep.out_bytes, rep.n_nodes,
           rep.n_float, rep.n_weights, bits, rep.n_sparse, o.n_samples, method_name(o.method),
           !o.io_int8 ? "float32"
           : o.act16  ? "int16"
                      : "int8");
    return EDGECTL_OK;
}
