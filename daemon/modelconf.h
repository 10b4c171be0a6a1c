/* daemon/modelconf.h - NAME/model.conf: which versions of a model are served.
 *
 * Owns: the per-model configuration of the model repository (NAME/model.conf
 * next to the NAME/VERSION/ folders): its version policy (all, latest [N],
 * specific V[, V...]) and pin_io (a new version must keep the serving
 * version's input/output signature); reading it (INI through inih, one
 * "FILE:LINE: key: ..." message for the first problem), choosing versions by
 * the policy and describing it in one line.
 * Does not own: scanning the repository, loading versions or comparing
 * signatures (registry.c), nor daemon-wide options (config.c).
 *
 * The file:
 *   [model]
 *   version_policy = all | latest [N] | specific V[, V...]
 *   pin_io = yes | no
 *   pin = yes | no           (with [models] memory_budget: loaded at start, never evicted)
 *   backend = auto | cpu | NAME[, NAME...]   (default: edged.conf's [backends] default)
 *   labels = FILE            (in the model's folder; default labels.txt when there)
 *   input_shape = [I:]D0,D1,...[; [I:]D0,D1,...]   inputs opened resized where the model's
 *                            shape signature allows it (ResizeInputTensor; I default 0, 1, ...)
 *   kind = model | wakeword  (wakeword: the folder holds wake-word models, not versions:
 *                            daemon/wakeword.c serves it; default model)
 *   [input]                  how a picture becomes the input (image requests)
 *   resize = letterbox | stretch | crop | fit-shortest   (crop = fit-shortest: the shorter
 *                            side scaled to the input's, the centre kept; default letterbox)
 *   pad = 0..255             letterbox bars (default 114)
 *   order = rgb | bgr        (default rgb)
 *   mean = M | M1, M2, M3    std = S | S1, S2, S3   (either one turns on the normalization
 *                            (byte - mean) / std quantized by the input's scale; default off:
 *                            uint8 raw, int8 byte - 128, float32 byte / 255)
 *   [detection]              how the outputs become objects
 *   type = auto | ssd | yolov8 | yolov5 | yolox | yolov8-dfl | none   (default auto: from the
 *                            outputs; YOLOX and raw DFL heads must be named)
 *   score = 0..1 (0.25)   iou = 0..1 (0.45)   max = 1..1000 (100)   agnostic = yes | no
 *   coords = auto | normalized | pixels   (a YOLO head's boxes; default: guessed)
 *   [wakeword]               a kind = wakeword folder's detections
 *   threshold = 0.01..1      (openWakeWord's models; default 0.5; microWakeWord's come from
 *                            their JSON)
 *   refractory_ms = 100..60000 (after a detection the model stays quiet; default 2000)
 * An unknown section or key, a key in the wrong section, a key set twice, a bad value or a
 * syntax error stops the parse. An empty or missing file gives the defaults
 * (all, pin_io off). No global state: safe from any thread. */
#ifndef EDGED_MODELCONF_H
#define EDGED_MODELCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"
#include "pipeline.h"

#define DM_MODELCONF_MAX_SPECIFIC 16
#define DM_DETECTIONS_MAX 1000    /* [detection] max at most */
#define DM_MODELCONF_MAX_SHAPES 8 /* [model] input_shape: inputs given a shape */

typedef enum { DM_POLICY_ALL = 0, DM_POLICY_LATEST, DM_POLICY_SPECIFIC } dm_policy_kind;
typedef enum { DM_KIND_MODEL = 0, DM_KIND_WAKEWORD } dm_model_kind;

typedef struct dm_model_conf {
    dm_model_kind kind; /* [model] kind */
    dm_policy_kind policy;
    uint32_t latest_n; /* DM_POLICY_LATEST: how many of the newest */
    /* DM_POLICY_SPECIFIC: the listed versions, sorted descending, no duplicates */
    int64_t specific[DM_MODELCONF_MAX_SPECIFIC];
    size_t n_specific;
    bool pin_io;
    bool pin;          /* resident whatever the memory budget: loaded at start, never evicted */
    char backend[256]; /* "auto", "cpu", "a, b", or "" ([backends] default) */
    char labels[256];  /* [model] labels: a file name in the model's folder, or "" */
    /* [model] input_shape: the inputs every version is opened with (edge_input_shape) */
    edge_input_shape input_shapes[DM_MODELCONF_MAX_SHAPES];
    size_t n_input_shapes;
    edge_vision_input input;
    struct dm_detection_conf {
        edge_head_kind type;
        edge_coords coords;
        edge_detect_params p;
    } detection;
    struct dm_wake_conf {
        float threshold;        /* 0: the default (0.5) */
        uint32_t refractory_ms; /* 0: the default (2000) */
    } wake;
} dm_model_conf;

void dm_model_conf_default(dm_model_conf *c);
/* Parse TEXT (NUL-terminated); NAME is what error messages call the file. 0, or -1 with the
 * message in ERR. */
int dm_model_conf_parse(const char *text, const char *name, dm_model_conf *out, char *err,
                        size_t errlen);
/* Read PATH: a missing file (ENOENT) gives the defaults and 0; unreadable or bad gives -1 and
 * ERR (path included). Files over 64 KiB are refused. */
int dm_model_conf_load(const char *path, dm_model_conf *out, char *err, size_t errlen);
/* Reads the text file PATH (at most MAX bytes, a regular file, no NUL byte) into *OUT
 * (malloc'd, NUL-terminated, *LEN bytes). 0; -ENOENT when it is not there; -1 otherwise; both
 * with the reason (path included) in ERR. */
int dm_text_file_read(const char *path, size_t max, char **out, size_t *len, char *err,
                      size_t errlen);
/* Of the N versions in VERSIONS (sorted newest first, distinct), which the policy serves:
 * KEEP[i]. ALL keeps every one; LATEST keeps the first latest_n; SPECIFIC keeps those listed
 * (listed versions not on disk are simply absent). */
void dm_model_conf_select(const dm_model_conf *c, const int64_t *versions, size_t n, bool *keep);
/* One line describing C for logs and edgectl, e.g. "all", "latest 2", "specific 4,1"; plus
 * ", pin_io" when set. */
void dm_model_conf_describe(const dm_model_conf *c, char *buf, size_t len);

#endif /* EDGED_MODELCONF_H */
