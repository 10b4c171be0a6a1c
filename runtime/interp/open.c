/* runtime/interp/open.c - edge_model_open: the steps from a file to a runnable model, in order.
 *
 * Owns: edge_model_open / _open_fd / _open_buffer / _ref / _unref, the model's bytes (a shared
 * read-only mapping or a private heap copy; edge_model_detach_file turns the first into private
 * pages where it is), the load limits' defaults,
 * and the order of the load steps: parse and graph (core, runtime/), decode of every node's
 * options (ops/), the back ends' claims, prepare, partitions (this layer), the arena plan (core).
 * It lives in the interpreter layer because it calls every layer below; the core layer never
 * calls up. Does not own: any step's own checks (each step's file). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "dispatch.h"
#include "exec.h"
#include "cpu_state.h"
#include "model.h"
#include "steps.h"

#define DEFAULT_MAX_FILE (1ull << 30)
#define DEFAULT_MAX_ARENA (512ull << 20)
#define DEFAULT_MAX_MACS 20000000000ull
#define DEFAULT_MAX_WHILE 1000000u

static void node_free(edge_node *n)
{
    free((void *)n->in);
    free((void *)n->out);
    free(n->data);
    edge__packed_free(n); /* (PACKED, the header, is the model's: edge__hdr_alloc) */
    free(n->custom_code);
    free(n->custom_options);
    free(n->cpu_error);
}

/* Every subgraph's lists and name, the nodes of those past 0, the resources. */
static void subgraphs_free(edge_model *m)
{
    for (int32_t s = 0; m->subgraphs && s < m->n_subgraphs; s++) {
        edge_subgraph *sg = &m->subgraphs[s];
        free(sg->name);
        free(sg->inputs); /* subgraph 0's are m->inputs, m->outputs */
        free(sg->outputs);
        if (s == 0)
            continue; /* its nodes are m->nodes[0, m->n_nodes) */
        for (int32_t i = 0; m->nodes && i < sg->n_nodes; i++)
            node_free(&m->nodes[sg->first_node + i]);
    }
    free(m->subgraphs);
    for (int32_t i = 0; m->resources && i < m->n_resources; i++) {
        free(m->resources[i].container);
        free(m->resources[i].shared_name);
    }
    free(m->resources);
}

static void model_free(edge_model *m)
{
    edge__partition_free(m); /* back ends release first: they may read the rest */
    edge__chain_free(m);
    subgraphs_free(m);
    for (int32_t i = 0; m->tensors && i < m->n_all_tensors; i++) {
        edge_tensor *t = &m->tensors[i];
        free(t->name);
        free(t->q.scale);
        free(t->q.zero_point);
        free(t->init);
        free(t->sparsity);
        if (t->data_owned)
            free((void *)t->data);
    }
    for (int32_t i = 0; m->nodes && i < m->n_nodes; i++)
        node_free(&m->nodes[i]);
    free(m->tensors);
    free(m->nodes);
    edge__pack_cache_free(m); /* after the nodes, whose packed weights may be in it */
    edge__hdr_free(m);
    free(m->description);
    free(m->kernels_desc);
    if (m->mapped)
        munmap((void *)m->base, m->size);
    if (m->heap_copy)
        free((void *)m->base);
    edge_model_unref(m->parent); /* a resized variant reads its parent's bytes */
    free(m);
}

EDGE_DEFINE_CLEANUP(edge_model, model_free)

/* Sets up model TAKE (which it owns from then on: it is freed on failure) and
 * puts it in *OUT. */
static int model_finish(edge_model *take, const edge_model_options *opt, edge_model **out,
                        edge_error *err)
{
    _cleanup_(model_freep) edge_model *m = take;
    edge__blas_setup(); /* runtime/blas.c: one thread, kernels the CPU runs */
    atomic_init(&m->refs, 1);
    if (opt)
        m->opt = *opt;
    if (!m->opt.max_arena_bytes)
        m->opt.max_arena_bytes = DEFAULT_MAX_ARENA;
    if (!m->opt.max_macs)
        m->opt.max_macs = DEFAULT_MAX_MACS;
    if (!m->opt.max_file_bytes)
        m->opt.max_file_bytes = DEFAULT_MAX_FILE;
    if (!m->opt.max_while_iterations)
        m->opt.max_while_iterations = DEFAULT_MAX_WHILE;
    m->threads = m->opt.threads == EDGE_THREADS_AUTO ? edge__exec_auto_threads()
                 : m->opt.threads                    ? m->opt.threads
                                                     : 1;
    if (m->threads > EDGE_MAX_THREADS)
        return edge__seterr(err, EDGE_EINVAL, "%u intra-op threads asked for; at most %d",
                            m->opt.threads, EDGE_MAX_THREADS);
    if (m->opt.isa != EDGE_ISA_AUTO && !edge_kernels_for(m->opt.isa))
        return edge__seterr(err, EDGE_EINVAL,
                            "kernel level %s (%d) does not exist on this architecture",
                            edge_isa_name(m->opt.isa), (int)m->opt.isa);
    m->isa = edge_isa_resolve(m->opt.isa);
    m->k = edge_kernels_for(m->isa);
    if (edge__kernels_forced())
        m->k = edge__kernels_forced();
    if (m->size > m->opt.max_file_bytes)
        return edge__seterr(err, EDGE_ELIMIT, "the model is %zu bytes, over the %zu byte limit",
                            m->size, m->opt.max_file_bytes);
    /* The back ends the caller's options name: the model holds its own list. */
    m->opt.backends = NULL;
    m->opt.name = NULL;
    if (opt && opt->n_backends && opt->backends) {
        if (!(m->bes = calloc(opt->n_backends, sizeof *m->bes)))
            return edge__seterr(err, EDGE_ENOMEM, "out of memory");
        for (size_t i = 0; i < opt->n_backends; i++)
            if (opt->backends[i])
                m->bes[m->n_bes++] = edge_be_ref(opt->backends[i]);
    }
    m->opt.n_backends = m->n_bes;
    if (!(m->name = strdup(opt && opt->name ? opt->name : "")))
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    /* The load, in order: the file, the graph, the input shapes given (resize.c), the
     * options, the called subgraphs and the
     * resource variables, the back ends' claims, the CPU operators' prepare, the partitions,
     * the arena. */
    static int (*const steps[])(edge_model *, edge_error *) = {
        edge__model_parse,   edge__graph_build,     edge__resize_inputs,
        edge__model_decode,  edge__subgraphs_build, edge__partition_claim,
        edge__model_prepare, edge__partition_build, edge__plan_arena,
    };
    int rc = 0;
    edge__pack_cache_open(m); /* packed weights from a valid cache file: the ops skip packing */
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if ((rc = steps[i](m, err)))
            return rc;
    edge__pack_cache_close(m);
    for (int32_t i = 0; i < m->n_all_tensors; i++)
        if (m->tensors[i].data)
            m->weight_bytes += m->tensors[i].bytes;
    if (!(m->kernels_desc = edge__kernels_describe(m)))
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    *out = edge_take_ptr(m);
    return 0;
}

int edge_model_open_buffer(const void *data, size_t size, const edge_model_options *opt,
                           edge_model **out, edge_error *err)
{
    if (!data || !out)
        return edge__seterr(err, EDGE_EINVAL, "edge_model_open_buffer: NULL argument");
    edge_model *m = calloc(1, sizeof *m);
    if (!m)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    m->base = data;
    m->size = size;
    return model_finish(m, opt, out, err);
}

/* SIZE bytes of FD into private heap memory at *OUT (64-byte aligned): 0, an
 * errno value, or -1 when the file is not SIZE bytes long any more. Heap, not
 * an anonymous mapping: a server reloading a model reuses the freed copy's
 * pages instead of unmapping them (every munmap interrupts the other CPUs
 * running the process, to flush their TLBs). */
static int read_private(int fd, size_t size, void **out)
{
    _cleanup_free_ uint8_t *p = aligned_alloc(64, (size + 63) & ~(size_t)63);
    if (!p)
        return ENOMEM;
    size_t at = 0;
    while (at < size) {
        const ssize_t n = pread(fd, p + at, size - at, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : -1;
        at += (size_t)n;
    }
    char extra;
    if (pread(fd, &extra, 1, (off_t)size) != 0) /* it grew */
        return -1;
    *out = edge_take_ptr(p);
    return 0;
}

/* The bytes of FD (SIZE of them) as a private heap copy or a shared mapping,
 * set on M (which then owns them). PATH names the file in errors. */
static int model_bytes(edge_model *m, int fd, const char *path, size_t size, bool copy,
                       edge_error *err)
{
    if (copy) {
        void *base = NULL;
        const int rc = read_private(fd, size, &base);
        if (rc == -1)
            return edge__seterr(err, EDGE_EFORMAT,
                                "%s: the file changed size while it was read (%zu bytes at "
                                "first); it is being written",
                                path, size);
        if (rc)
            return edge__seterr(err, EDGE_EIO, "%s: cannot read: %s", path, strerror(rc));
        m->base = base;
        m->heap_copy = true;
    } else {
        void *base = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED)
            return edge__seterr(err, EDGE_EIO, "%s: cannot map: %s", path, strerror(errno));
        m->base = base;
        m->mapped = true;
    }
    m->size = size;
    return 0;
}

/* PATH: ERR's message, so that every error of a file names it. */
static void prefix_path(edge_error *err, const char *path)
{
    if (!err)
        return;
    char msg[2 * EDGE_ERROR_MESSAGE_MAX + 8];
    const int n = snprintf(msg, sizeof msg, "%s: %s", path, err->message);
    const size_t keep =
        n < 0 ? 0 : ((size_t)n < sizeof err->message ? (size_t)n : sizeof err->message - 1);
    memcpy(err->message, msg, keep);
    err->message[keep] = 0;
}

int edge_model_open(const char *path, const edge_model_options *opt, edge_model **out,
                    edge_error *err)
{
    if (!path || !out)
        return edge__seterr(err, EDGE_EINVAL, "edge_model_open: NULL argument");
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return edge__seterr(err, EDGE_EIO, "%s: cannot open: %s", path, strerror(errno));
    return edge_model_open_fd(fd, path, opt, out, err); /* the mapping outlives FD */
}

int edge_model_open_fd(int fd, const char *path, const edge_model_options *opt, edge_model **out,
                       edge_error *err)
{
    if (fd < 0 || !path || !out)
        return edge__seterr(err, EDGE_EINVAL, "edge_model_open_fd: bad argument");
    const size_t max_file = opt && opt->max_file_bytes ? opt->max_file_bytes : DEFAULT_MAX_FILE;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return edge__seterr(err, EDGE_EIO, "%s: not a regular file", path);
    if (st.st_size < 8)
        return edge__seterr(err, EDGE_EFORMAT, "%s: %lld bytes is too short for a TFLite model",
                            path, (long long)st.st_size);
    if ((uint64_t)st.st_size > max_file)
        return edge__seterr(err, EDGE_ELIMIT, "%s: %lld bytes is over the %zu byte limit", path,
                            (long long)st.st_size, max_file);
    _cleanup_(model_freep) edge_model *m = calloc(1, sizeof *m);
    if (!m)
        return edge__seterr(err, EDGE_ENOMEM, "%s: out of memory", path);
    int rc = model_bytes(m, fd, path, (size_t)st.st_size, opt && opt->private_copy, err);
    if (rc)
        return rc;
    rc = model_finish(edge_take_ptr(m), opt, out, err); /* frees the model on failure */
    if (rc)
        prefix_path(err, path);
    return rc;
}

/* Pages of a mapping of LEN bytes. */
static size_t page_round(size_t len)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (len + page - 1) / page * page;
}

int edge__privatize(const void *base, size_t size, edge_error *err)
{
    /* The bytes into anonymous pages, which then replace the file's pages at the same
     * addresses in one step (mremap under the kernel's mmap lock: a reader that faults
     * meanwhile waits and then sees the copy): every pointer into the mapping stays valid and
     * sees the same bytes throughout. */
    const size_t len = page_round(size);
    void *copy = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy == MAP_FAILED)
        return edge__seterr(err, EDGE_ENOMEM, "no memory for a private copy of %zu bytes", size);
    memcpy(copy, base, size);
    if (mprotect(copy, len, PROT_READ) ||
        mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)base) == MAP_FAILED) {
        const int rc = edge__seterr(err, EDGE_EIO, "cannot put the private copy in place: %s",
                                    strerror(errno));
        munmap(copy, len);
        return rc;
    }
    return 0;
}

int edge_model_detach_file(edge_model *m, edge_error *err)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* two callers: one copy */
    if (!m)
        return edge__seterr(err, EDGE_EINVAL, "edge_model_detach_file: NULL model");
    pthread_mutex_lock(&mu);
    int rc = 0;
    if (m->mapped && !atomic_load(&m->detached) &&
        (rc = edge__privatize(m->base, m->size, err)) == 0)
        atomic_store(&m->detached, true);
    pthread_mutex_unlock(&mu);
    return rc;
}

int edge_model_file_backed(const edge_model *m)
{
    return m && m->mapped && !atomic_load(&((edge_model *)m)->detached);
}

int edge_model_resized(edge_model *m, const edge_input_shape *shapes, size_t n, edge_model **out,
                       edge_error *err)
{
    if (!m || !out || (n && !shapes))
        return edge__seterr(err, EDGE_EINVAL, "edge_model_resized: NULL argument");
    edge_model *v = calloc(1, sizeof *v);
    if (!v)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    v->base = m->base; /* M's bytes (mapped or a copy): the variant holds M while it lives */
    v->size = m->size;
    v->parent = edge_model_ref(m);
    edge_model_options o = m->opt;
    o.backends = m->bes;
    o.n_backends = m->n_bes;
    o.name = m->name;
    o.pack_cache = NULL;
    o.input_shapes = shapes;
    o.n_input_shapes = n;
    return model_finish(v, &o, out, err); /* frees V (and its reference) on failure */
}

int edge_model_input_signature(const edge_model *m, size_t i, int32_t dims[EDGE_MAX_DIMS])
{
    if (!m || !dims || i >= (size_t)m->n_inputs)
        return -1;
    const edge_tensor *t = &m->tensors[m->inputs[i]];
    memcpy(dims, t->sig, (size_t)t->sig_rank * sizeof *dims);
    return t->sig_rank;
}

edge_model *edge_model_ref(edge_model *m)
{
    if (m)
        atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void edge_model_unref(edge_model *m)
{
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        model_free(m);
}
