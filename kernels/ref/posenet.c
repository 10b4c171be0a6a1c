/* kernels/ref/posenet.c - reference PosenetDecoderOp (Coral's PoseNet decoder), float.
 *
 * Owns: the arithmetic and order of posenet_decoder.cc (see posenet.h): bilinear sampling,
 * displacement along an edge, the backtracking decode of one pose, root candidates, root and
 * keypoint NMS, rescoring and the output; the max-heap that stands for std::priority_queue
 * (sift-up and hole-to-leaf sift-down as libstdc++'s push_heap / pop_heap, so equal scores pop
 * in the same order); BodyPix's instance masks from the long-range offsets. Does not own:
 * validation or dequantization (backends/cpu/op_posenet.c). */
#include "posenet.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

enum {
    KP = EDGE_POSENET_KEYPOINTS,
    EDGES = EDGE_POSENET_EDGES,
    REFINE_STEPS = 5,     /* mid_short_offset_refinement_steps */
    LOCAL_MAX_RADIUS = 1, /* kLocalMaximumRadius */
    /* a pose's decode queue: its root, then at most one entry per directed edge */
    DECODE_QUEUE = 1 + 2 * EDGES,
};

/* Keypoint ids: nose, left/right eye, ear, shoulder, elbow, wrist, hip, knee, ankle. */
enum { NOSE, L_EYE, R_EYE, L_EAR, R_EAR, L_SHO, R_SHO, L_ELB, R_ELB, L_WRI, R_WRI };
enum { L_HIP = 11, R_HIP, L_KNE, R_KNE, L_ANK, R_ANK };

/* The pose graph: 16 forward edges (parent, child), then the same 16 reversed. */
static const uint8_t edge_list[2 * EDGES][2] = {
    {NOSE, L_EYE},  {L_EYE, L_EAR}, {NOSE, R_EYE},  {R_EYE, R_EAR}, {NOSE, L_SHO},  {L_SHO, L_ELB},
    {L_ELB, L_WRI}, {L_SHO, L_HIP}, {L_HIP, L_KNE}, {L_KNE, L_ANK}, {NOSE, R_SHO},  {R_SHO, R_ELB},
    {R_ELB, R_WRI}, {R_SHO, R_HIP}, {R_HIP, R_KNE}, {R_KNE, R_ANK}, {L_EYE, NOSE},  {L_EAR, L_EYE},
    {R_EYE, NOSE},  {R_EAR, R_EYE}, {L_SHO, NOSE},  {L_ELB, L_SHO}, {L_WRI, L_ELB}, {L_HIP, L_SHO},
    {L_KNE, L_HIP}, {L_ANK, L_KNE}, {R_SHO, NOSE},  {R_ELB, R_SHO}, {R_WRI, R_ELB}, {R_HIP, R_SHO},
    {R_KNE, R_HIP}, {R_ANK, R_KNE},
};

typedef struct point {
    float y, x;
} point;

typedef struct keypoint {
    point at;
    int32_t id;
    float score;
} keypoint;

/* A max-heap of keypoints by score over caller storage. */
typedef struct kp_heap {
    keypoint *v;
    size_t n;
} kp_heap;

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : hi < v ? hi : v;
}

/* Sift VALUE up from HOLE (libstdc++'s __push_heap). */
static void heap_sift_up(keypoint *v, size_t hole, keypoint value)
{
    while (hole > 0) {
        const size_t parent = (hole - 1) / 2;
        if (!(v[parent].score < value.score))
            break;
        v[hole] = v[parent];
        hole = parent;
    }
    v[hole] = value;
}

static void heap_push(kp_heap *h, keypoint k)
{
    heap_sift_up(h->v, h->n++, k);
}

/* Removes and returns the top (libstdc++'s pop_heap: the hole sinks to a leaf along the larger
 * child, the right one on ties, then the last element rises from there). */
static keypoint heap_pop(kp_heap *h)
{
    keypoint *v = h->v;
    const keypoint top = v[0];
    const size_t len = --h->n;
    if (len == 0)
        return top;
    const keypoint value = v[len];
    size_t hole = 0, child = 0;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (v[child].score < v[child - 1].score)
            child--;
        v[hole] = v[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        v[hole] = v[child - 1];
        hole = child - 1;
    }
    heap_sift_up(v, hole, value);
    return top;
}

/* Floor and ceiling of X clamped to [0, N - 1], and X's weight past the floor. A NaN reads
 * cell 0 (the C++ converts it to int, which is undefined). The clamped value is a float in
 * [0, N - 1] (N < 2^24), so truncation is its floor and the floor plus one, where the two differ,
 * its ceiling: floorf's and ceilf's values, without their calls (the baseline x86-64 build has
 * no roundss; they were most of BodyPix's decoder, 1.1 ms of its 8.5 ms an invoke on a Zen 5). */
static inline void lerp1(float x, int32_t n, size_t *lo, size_t *hi, float *t)
{
    const float c = clampf(x, 0.0f, (float)n - 1.0f);
    const float f = c == c ? (float)(int32_t)c : 0.0f;
    *lo = (size_t)f;
    *hi = f < c ? (size_t)f + 1 : (size_t)f;
    *t = x - f;
}

/* Bilinear samples of T [h, w, CH] at (Y, X), channels C0 and C1, into R[0], R[1]. */
static void sample2(const edge_ref_posenet_params *p, const float *t, size_t ch, float y, float x,
                    int32_t c0, int32_t c1, float *r)
{
    size_t y0, y1, x0, x1;
    float ty, tx;
    lerp1(y, p->height, &y0, &y1, &ty);
    lerp1(x, p->width, &x0, &x1, &tx);
    const size_t w = (size_t)p->width;
    const float *tl = t + (y0 * w + x0) * ch, *tr = t + (y0 * w + x1) * ch;
    const float *bl = t + (y1 * w + x0) * ch, *br = t + (y1 * w + x1) * ch;
    const int32_t c[2] = {c0, c1};
    for (int i = 0; i < 2; i++)
        r[i] = (1 - ty) * ((1 - tx) * tl[c[i]] + tx * tr[c[i]]) +
               ty * ((1 - tx) * bl[c[i]] + tx * br[c[i]]);
}

static float sample1(const edge_ref_posenet_params *p, const float *t, size_t ch, point at,
                     int32_t c)
{
    float r[2];
    sample2(p, t, ch, at.y, at.x, c, c, r);
    return r[0];
}

/* Moves (Y, X) by the offsets sampled there and clamps it to the map. */
static point displace(const edge_ref_posenet_params *p, const float *t, size_t ch, point at,
                      int32_t c0, int32_t c1)
{
    float off[2];
    sample2(p, t, ch, at.y, at.x, c0, c1, off);
    return (point){clampf(at.y + off[0], 0.0f, (float)p->height - 1.0f),
                   clampf(at.x + off[1], 0.0f, (float)p->width - 1.0f)};
}

/* Follows the mid-range offsets of EDGE, then refines by TARGET's short-range ones. */
static point find_displaced(const edge_ref_posenet_params *p, const float *shorts,
                            const float *mids, point from, int32_t edge, int32_t target)
{
    point at = displace(p, mids, 4 * EDGES, from, edge, EDGES + edge);
    for (int i = 0; i < REFINE_STEPS; i++)
        at = displace(p, shorts, 2 * KP, at, target, KP + target);
    return at;
}

/* One pose from ROOT: keypoints decoded in decreasing score order along the graph. */
static void backtrack(const edge_ref_posenet_params *p, const float *scores, const float *shorts,
                      const float *mids, keypoint root, point *pose, float *kp_scores)
{
    keypoint store[DECODE_QUEUE];
    kp_heap q = {store, 0};
    bool decoded[KP] = {false};
    root.score = sample1(p, scores, KP, root.at, root.id);
    heap_push(&q, root);
    while (q.n) {
        const keypoint cur = heap_pop(&q);
        if (decoded[cur.id])
            continue;
        pose[cur.id] = cur.at;
        kp_scores[cur.id] = cur.score;
        decoded[cur.id] = true;
        for (int32_t e = 0; e < 2 * EDGES; e++) {
            const int32_t child = edge_list[e][1];
            if (edge_list[e][0] != cur.id || decoded[child])
                continue;
            /* edgetpu shifts backward edges past the forward x block with "> kNumEdges",
             * libcoral with ">= kNumEdges" */
            const bool backward = e > EDGES || (p->libcoral_edges && e == EDGES);
            const int32_t mid_edge = backward ? e + EDGES : e;
            const point at = find_displaced(p, shorts, mids, cur.at, mid_edge, child);
            heap_push(&q, (keypoint){at, child, sample1(p, scores, KP, at, child)});
        }
    }
}

/* Is SCORES[y, x, j] (>= its neighbours within the radius) a local maximum? */
static bool local_max(const edge_ref_posenet_params *p, const float *scores, int32_t y, int32_t x,
                      int32_t j)
{
    const float s = scores[((size_t)y * (size_t)p->width + (size_t)x) * KP + (size_t)j];
    const int32_t y1 = y + LOCAL_MAX_RADIUS + 1 < p->height ? y + LOCAL_MAX_RADIUS + 1 : p->height;
    const int32_t x1 = x + LOCAL_MAX_RADIUS + 1 < p->width ? x + LOCAL_MAX_RADIUS + 1 : p->width;
    for (int32_t yy = y > LOCAL_MAX_RADIUS ? y - LOCAL_MAX_RADIUS : 0; yy < y1; yy++)
        for (int32_t xx = x > LOCAL_MAX_RADIUS ? x - LOCAL_MAX_RADIUS : 0; xx < x1; xx++)
            if (scores[((size_t)yy * (size_t)p->width + (size_t)xx) * KP + (size_t)j] > s)
                return false;
    return true;
}

/* Root candidates: local maxima at or above MIN_LOGIT, refined by their short offsets. */
static void root_candidates(const edge_ref_posenet_params *p, const float *scores,
                            const float *shorts, float min_logit, kp_heap *q)
{
    size_t i = 0;
    for (int32_t y = 0; y < p->height; y++)
        for (int32_t x = 0; x < p->width; x++)
            for (int32_t j = 0; j < KP; j++, i++) {
                if (!(scores[i] >= min_logit) || !local_max(p, scores, y, x, j))
                    continue;
                const size_t o = (i / KP) * 2 * KP + (size_t)j;
                const point at = {clampf((float)y + shorts[o], 0.0f, (float)p->height - 1.0f),
                                  clampf((float)x + shorts[o + KP], 0.0f, (float)p->width - 1.0f)};
                heap_push(q, (keypoint){at, j, scores[i]});
            }
}

static float squared_distance(point a, point b)
{
    const float dy = b.y - a.y, dx = b.x - a.x;
    return dy * dy + dx * dx;
}

/* Is K farther than the radius from the same keypoint of each of the N poses? */
static bool pass_nms(const point *poses, size_t n, const keypoint *k, float r2)
{
    for (size_t i = 0; i < n; i++)
        if (squared_distance(k->at, poses[i * KP + (size_t)k->id]) <= r2)
            return false;
    return true;
}

/* IDX[0..N) ordered by decreasing V[IDX[i]], stable (insertion sort: N is small). */
static void argsort_desc(const float *v, int32_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = (int32_t)i;
    for (size_t i = 1; i < n; i++) {
        const int32_t k = idx[i];
        size_t j = i;
        for (; j > 0 && v[k] > v[idx[j - 1]]; j--)
            idx[j] = idx[j - 1];
        idx[j] = k;
    }
}

/* The mean of the 17 scores not MASKed (NULL: none), summed in decreasing order. */
static float mean_score(const float *s, const bool *mask)
{
    int32_t idx[KP];
    argsort_desc(s, idx, KP);
    float total = 0.0f;
    for (int k = 0; k < KP; k++)
        if (!mask || !mask[idx[k]])
            total += s[idx[k]];
    return total / KP;
}

static float sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* The scratch: root candidates, then per pose slot its keypoints, their scores, its
 * instance score and its rank. */
typedef struct posenet_scratch {
    keypoint *roots;
    point *poses;
    float *kp_scores, *inst;
    int32_t *order;
} posenet_scratch;

static size_t roots_max(const edge_ref_posenet_params *p)
{
    return (size_t)p->height * (size_t)p->width * KP;
}

size_t edge_ref_posenet_scratch(const edge_ref_posenet_params *p)
{
    const size_t d = (size_t)p->max_detections;
    return roots_max(p) * sizeof(keypoint) + d * KP * sizeof(point) + d * KP * sizeof(float) +
           d * sizeof(float) + d * sizeof(int32_t);
}

static posenet_scratch carve(const edge_ref_posenet_params *p, void *scratch)
{
    const size_t d = (size_t)p->max_detections;
    posenet_scratch s;
    s.roots = scratch;
    s.poses = (point *)(s.roots + roots_max(p));
    s.kp_scores = (float *)(s.poses + d * KP);
    s.inst = s.kp_scores + d * KP;
    s.order = (int32_t *)(s.inst + d);
    return s;
}

/* Decodes poses from the root queue Q in decreasing root score: at most max_detections whose
 * mean keypoint probability reaches the threshold. Returns how many. */
static size_t decode_poses(const edge_ref_posenet_params *p, const float *scores,
                           const float *shorts, const float *mids, kp_heap *q,
                           const posenet_scratch *s)
{
    const float r2 = p->nms_radius * p->nms_radius;
    size_t n = 0;
    while (n < (size_t)p->max_detections && q->n) {
        const keypoint root = heap_pop(q);
        if (!pass_nms(s->poses, n, &root, r2))
            continue;
        point *pose = s->poses + n * KP;
        float *kps = s->kp_scores + n * KP;
        for (int k = 0; k < KP; k++) {
            pose[k] = (point){-1.0f, -1.0f};
            kps[k] = -1e5f;
        }
        backtrack(p, scores, shorts, mids, root, pose, kps);
        for (int k = 0; k < KP; k++)
            kps[k] = sigmoid(kps[k]);
        const float inst = mean_score(kps, NULL);
        if (inst >= p->score_threshold)
            s->inst[n++] = inst;
    }
    return n;
}

/* Soft keypoint NMS: each pose rescored without its keypoints that lie within the radius of
 * the same keypoint of a better pose (in S->order). */
static void soft_nms(const edge_ref_posenet_params *p, size_t n, const posenet_scratch *s)
{
    const float r2 = p->nms_radius * p->nms_radius;
    for (size_t i = 0; i < n; i++) {
        const size_t cur = (size_t)s->order[i];
        bool occluded[KP] = {false};
        for (size_t j = 0; j < i; j++) {
            const size_t prev = (size_t)s->order[j];
            for (int k = 0; k < KP; k++)
                if (squared_distance(s->poses[cur * KP + k], s->poses[prev * KP + k]) <= r2)
                    occluded[k] = true;
        }
        s->inst[cur] = mean_score(s->kp_scores + cur * KP, occluded);
    }
}

void edge_ref_posenet(const edge_ref_posenet_params *p, const float *scores, const float *shorts,
                      const float *mids, void *scratch, float *keypoints, float *keypoint_scores,
                      float *pose_scores, float *count)
{
    const size_t d = (size_t)p->max_detections;
    const posenet_scratch s = carve(p, scratch);
    memset(keypoints, 0, d * KP * 2 * sizeof *keypoints);
    memset(keypoint_scores, 0, d * KP * sizeof *keypoint_scores);
    memset(pose_scores, 0, d * sizeof *pose_scores);
    /* the threshold as a logit, in double as Coral's Logodds computes it */
    const float min_logit = (float)-log(1.0 / ((double)p->score_threshold + 1e-6) - 1.0);
    kp_heap q = {s.roots, 0};
    root_candidates(p, scores, shorts, min_logit, &q);
    const size_t n = decode_poses(p, scores, shorts, mids, &q, &s);
    argsort_desc(s.inst, s.order, n);
    soft_nms(p, n, &s);
    argsort_desc(s.inst, s.order, n);
    size_t out = 0;
    for (size_t i = 0; i < n && !(s.inst[s.order[i]] < p->score_threshold); i++, out++) {
        const size_t src = (size_t)s.order[i];
        for (int k = 0; k < KP; k++) {
            keypoints[(out * KP + (size_t)k) * 2] = s.poses[src * KP + k].y * (float)p->stride;
            keypoints[(out * KP + (size_t)k) * 2 + 1] = s.poses[src * KP + k].x * (float)p->stride;
        }
        memcpy(keypoint_scores + out * KP, s.kp_scores + src * KP, KP * sizeof(float));
        pose_scores[out] = s.inst[src];
    }
    *count = (float)out;
}

enum { LONG_REFINE_STEPS = 2 }; /* DecodeInstanceMasks' refinement_steps */

/* Cell (Y, X)'s embedding of keypoint K (Coral's GetEmbedding): moved by the long offsets
 * LONG_REFINE_STEPS + 1 times, clamped to the map, then in pixels. */
static point embedding(const edge_ref_posenet_params *lp, const float *longs, int32_t y, int32_t x,
                       int32_t k)
{
    point at = {(float)y, (float)x};
    for (int i = 0; i <= LONG_REFINE_STEPS; i++)
        at = displace(lp, longs, 2 * KP, at, k, k + KP);
    return (point){at.y * (float)lp->stride, at.x * (float)lp->stride};
}

/* The pose whose keypoints (KEYPOINTS, pixels) lie nearest to the embeddings E: the first
 * least sum of squared distances (std::min_element), 0 when there is no pose. */
static size_t nearest_pose(const point *e, const float *keypoints, size_t n_poses)
{
    size_t best = 0;
    float best_d = 0.0f;
    for (size_t i = 0; i < n_poses; i++) {
        float d = 0.0f;
        for (int k = 0; k < KP; k++) {
            const float *kp = keypoints + (i * KP + (size_t)k) * 2;
            d += squared_distance(e[k], (point){kp[0], kp[1]});
        }
        if (i == 0 || d < best_d) {
            best = i;
            best_d = d;
        }
    }
    return best;
}

void edge_ref_posenet_masks_rows(const edge_ref_posenet_params *p, int32_t height, int32_t width,
                                 const float *longs, const float *keypoints, size_t n_poses,
                                 float *masks, int32_t y0, int32_t y1)
{
    edge_ref_posenet_params lp = *p;
    lp.height = height;
    lp.width = width;
    for (int32_t y = y0; y < y1; y++)
        for (int32_t x = 0; x < width; x++) {
            point e[KP];
            for (int32_t k = 0; k < KP; k++)
                e[k] = embedding(&lp, longs, y, x, k);
            const size_t pose = nearest_pose(e, keypoints, n_poses);
            masks[(pose * (size_t)width + (size_t)y) * (size_t)height + (size_t)x] = 1.0f;
        }
}

void edge_ref_posenet_masks(const edge_ref_posenet_params *p, int32_t height, int32_t width,
                            const float *longs, const float *keypoints, size_t n_poses,
                            float *masks, size_t mask_count)
{
    memset(masks, 0, mask_count * sizeof *masks);
    edge_ref_posenet_masks_rows(p, height, width, longs, keypoints, n_poses, masks, 0, height);
}
