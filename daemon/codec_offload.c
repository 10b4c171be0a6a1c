/* daemon/codec_offload.c - inference requests parsed off the loop thread.
 *
 * Owns: the bounded queue of large request bodies waiting to be parsed and
 * the parses running on libuv's thread pool (at most DM_CODEC_OFFLOAD_RUNNING,
 * so that model loads keep threads of the pool and the memory of parses in
 * flight stays a few requests' worth); each job's completion on the loop
 * thread, exactly once. A waiting job holds only what its caller gave it.
 * Threads: the queue and counters belong to the loop thread; a job's parse
 * runs on a pool thread and touches only the job and its (immutable) model.
 * Does not own: parsing (codec_infer.c), admitting the parsed request and
 * answering it (oip.c for HTTP, mqtt_req.c for MQTT). */
#include <errno.h>

#include "codec.h"
#include "table.h"

/* Loop thread only: one daemon per process. */
static struct {
    unsigned running;
    size_t waiting;
    dm_parse_job *head, *tail;
} q;

bool dm_codec_offload_wanted(size_t len, int64_t header_len)
{
    const size_t json = header_len == -1  ? len
                        : header_len >= 0 ? ((uint64_t)header_len < len ? (size_t)header_len : len)
                                          : 0;
    return json > DM_CODEC_OFFLOAD_BYTES;
}

static void job_work(uv_work_t *w)
{
    dm_parse_job *j = w->data;
    if (j->parse) {
        j->parse(j);
        return;
    }
    j->status = dm_codec_parse_infer(j->v->model, j->body, j->len, j->header_len, &j->inf, j->err,
                                     sizeof j->err);
}

static void job_start(uv_loop_t *loop, dm_parse_job *j);

static void job_after(uv_work_t *w, int status)
{
    dm_parse_job *j = w->data;
    uv_loop_t *loop = w->loop;
    (void)status; /* never cancelled: every job runs */
    q.running--;
    if (q.head) { /* the next one takes the thread this one leaves */
        dm_parse_job *next = q.head;
        q.head = next->next;
        if (!q.head)
            q.tail = NULL;
        q.waiting--;
        job_start(loop, next);
    }
    j->done(j);
}

static void job_start(uv_loop_t *loop, dm_parse_job *j)
{
    j->work.data = j;
    j->next = NULL;
    q.running++;
    if (uv_queue_work(loop, &j->work, job_work, job_after) == 0)
        return;
    /* the pool refused (it does not, short of a bug): parse here, answer now */
    q.running--;
    job_work(&j->work);
    j->done(j);
}

int dm_codec_offload(uv_loop_t *loop, dm_parse_job *j)
{
    j->status = 500;
    j->inf = NULL;
    j->err[0] = 0;
    if (q.running < DM_CODEC_OFFLOAD_RUNNING) {
        job_start(loop, j);
        return 0;
    }
    if (q.waiting >= DM_CODEC_OFFLOAD_QUEUED)
        return -EBUSY;
    DM_QUEUE_PUSH(q.head, q.tail, j, next);
    q.waiting++;
    return 0;
}

size_t dm_codec_offload_pending(void)
{
    return q.running + q.waiting;
}
