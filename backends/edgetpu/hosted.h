/* backends/edgetpu/hosted.h - a partition hosted as a small TensorFlow Lite graph (internal).
 *
 * Owns: the shapes hosted.c and hosted_ctx.c share. A partition becomes a
 * graph of its own: its tensors renumbered from 0 (local indices), its nodes
 * 0..count-1 with their custom options and registrations, an execution plan.
 * libedgetpu's delegate sees it through an etpu_host, a TfLiteContext with our
 * bookkeeping after it; its Prepare replaces the nodes by delegate kernels
 * (node indices count.. on). The partition keeps one host for init, prepare
 * and free; every instance (one per worker thread) has its own host over its
 * own copy of the tensors and kernel nodes, so invokes on different threads
 * share only what libedgetpu reads (the kernels' user data, the
 * EdgeTpuContext, which serializes requests to the device).
 * Does not own: the TensorFlow Lite layouts (tflite_abi.h), the back end's
 * state (edgetpu_backend.c). */
#ifndef EDGE_EDGETPU_HOSTED_H
#define EDGE_EDGETPU_HOSTED_H

#include "edgetpu.h"

#define ETPU_HOST_MAGIC 0x45545055u /* "ETPU" */

typedef struct etpu_host {
    TfLiteContext ctx; /* first: the TfLiteContext * the library gets back is an etpu_host * */
    uint32_t magic;
    etpu_part *part;
    TfLiteNode *knodes; /* the delegate kernels' nodes this context runs */
    bool preparing;     /* init/prepare/free: persistent buffers may be allocated */
    TfLiteExternalContext *external[kTfLiteMaxExternalContexts];
    char err[ETPU_ERR_MAX]; /* what ReportError said since it was last cleared */
} etpu_host;

/* One delegate kernel: what one ReplaceNodeSubsetsWithDelegateKernels call made. */
typedef struct etpu_kernel {
    TfLiteRegistration reg;
    TfLiteDelegateParams params; /* its node's builtin_data */
    int32_t first, count;        /* the partition-local nodes it replaced */
} etpu_kernel;

struct etpu_part {
    etpu_state *s;
    const edge_be_partition *p;
    const edge_be_graph *g;
    int32_t n_nodes;       /* p->count */
    int32_t n_tensors;     /* local tensors */
    int32_t *global;       /* local index -> graph index */
    TfLiteTensor *tensors; /* the template: constants point at the graph's bytes */
    TfLiteNode *nodes;     /* the partition's nodes as the delegate sees them */
    TfLiteRegistration *regs;
    TfLiteIntArray *plan; /* 0..n_nodes-1 */
    int32_t *replaced_by; /* per node: its kernel, or -1 */
    etpu_kernel *kernels; /* room for n_nodes */
    TfLiteNode *knodes;   /* kernel k's node (the partition's copy) */
    int32_t n_kernels;
    int32_t *order;                /* kernels in execution order */
    int32_t *in_local, *out_local; /* p->inputs[i], p->outputs[i] as local indices */
    int32_t *scratch_local; /* activations produced and consumed inside: per-instance memory */
    size_t *scratch_off;
    int32_t n_scratch;
    size_t scratch_bytes;
    void **allocs; /* everything the delegate's structs point into, freed at release */
    int32_t n_allocs, cap_allocs;
    etpu_host prep; /* the context the delegate prepared in; frees in it too */
};

struct etpu_inst {
    etpu_host h;
    etpu_part *part;
    TfLiteTensor *tensors;
    TfLiteNode *knodes;
    void *scratch;
};

/* hosted_ctx.c: fill H's context (callbacks, tensors) for PART. */
void etpu_host_init(etpu_host *h, etpu_part *part, TfLiteTensor *tensors, TfLiteNode *knodes,
                    bool preparing);
/* The host behind a context the library hands back, or NULL if it is not one of ours. */
etpu_host *etpu_host_of(const TfLiteContext *c);
/* Remember memory to free at release; false (and P freed) when out of memory. */
bool etpu_part_keep(etpu_part *part, void *p);
/* A TfLiteIntArray of N ints kept by PART, or NULL. */
TfLiteIntArray *etpu_int_array(etpu_part *part, int n);

#endif
