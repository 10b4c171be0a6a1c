/* runtime/interp/steps.h - the interpreter layer's steps of edge_model_open.
 *
 * Owns: the declarations of the load steps that bind a verified model (runtime/model.h) to
 * operator descriptions and back ends; interp/open.c calls them in order: decode, claim,
 * prepare, build, and free on the way out. Each returns 0 or a negative code and fills err. */
#ifndef EDGE_INTERP_STEPS_H
#define EDGE_INTERP_STEPS_H

#include "model.h"

int edge__model_decode(edge_model *m, edge_error *err);  /* prepare.c: options (ops/) */
int edge__model_prepare(edge_model *m, edge_error *err); /* prepare.c: ops' prepare */
void edge__fold_pads(edge_model *m); /* fold_pad.c: PAD into its convolution, before prepare */
void edge__fold_silu(edge_model *m); /* fold_silu.c: x * LOGISTIC(x) into one table */
void edge__fuse_silu(
    edge_model *m); /* fold_silu.c, after the prepares: that table into x's writer */
/* fold_silu.c: tensor T of the main graph is read by node C alone (and is no graph output). */
bool edge__read_only_by(const edge_model *m, int32_t t, int32_t c);
/* fuse_pw.c, after edge__fuse_silu: a pointwise CONV_2D into the DEPTHWISE_CONV_2D before it */
void edge__fuse_pw(edge_model *m);
/* fuse_pw.c: whether the depthwise node at position D and the CONV_2D after it qualify by one
 * thread's rule (no rows a thread asked for: chain.c's layers split their rows by bands of their
 * own) and EDGE_FUSE_PW is not 0 (no side effect); and the pair fused (it must qualify). */
bool edge__fuse_pw_fits_one(const edge_model *m, int32_t d);
void edge__fuse_pw_pair(edge_model *m, int32_t d);
/* chain.c, after edge__fuse_pw: the row chains of the main graph for m->threads threads (their
 * tensors' lifetimes lengthened), none with one thread or EDGE_CHAIN=0; free with the model. */
int edge__chain_build(edge_model *m, edge_error *err);
void edge__chain_free(edge_model *m);
/* chain.c: how many row chains M has, and their layers in all in *LAYERS (tests). */
int32_t edge__chain_count(const edge_model *m, int32_t *layers);
/* subgraphs.c: the calls between subgraphs (indices, no cycles, bounded depth), each called
 * subgraph's order and lifetimes, and the resource variables (after decode, before prepare). */
int edge__subgraphs_build(edge_model *m, edge_error *err);
/* subgraphs.c: the subgraph NODE (IF, WHILE, CALL_ONCE) calls as its K-th callee, or -1. */
int32_t edge__node_callee(const edge_node *n, int k);
/* Prepare one node for the CPU (prepare.c). */
int edge__prepare_node(edge_model *m, edge_node *n, edge_error *err);
/* prepare.c: the multiply-accumulates one run of N does when it is CONV_2D, DEPTHWISE_CONV_2D or
 * FULLY_CONNECTED (output elements times the weights each reads; TS: its subgraph's tensors),
 * else 0 (the per-node GOPS of the profile, runtime/interp/profile.c). */
uint64_t edge__weight_macs(const edge_tensor *ts, const edge_node *n);
/* partition.c: the back ends' view and claims (before prepare), then the
 * partitions and the back ends' prepare (after it); free releases both. */
int edge__partition_claim(edge_model *m, edge_error *err);
int edge__partition_build(edge_model *m, edge_error *err);
void edge__partition_free(edge_model *m);
/* pack_cache.c: before the prepares, M's packed-weight cache file opened, checked and mapped
 * (edge__pack_find hands its blobs to the ops); after a successful load, the file written when
 * this load packed anything; the mapping freed with M (after its nodes). */
void edge__pack_cache_open(edge_model *m);
void edge__pack_cache_close(edge_model *m);
void edge__pack_cache_free(edge_model *m);
/* open.c: the SIZE bytes mapped at BASE become private memory at the same addresses, same
 * contents, while others may read them (edge_model_detach_file, edge_model_detach_pack). */
int edge__privatize(const void *base, size_t size, edge_error *err);

#endif
