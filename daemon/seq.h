/* daemon/seq.h - sequences (Triton's sequence extension): parameters and admission.
 *
 * Owns: the contract of seq.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_SEQ_H
#define EDGED_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "daemon.h"
#include "registry.h"
#include "scheduler.h"

/* Sequences (Triton's sequence extension): the requests of one sequence id run one at a time,
 * in arrival order, each from the state the previous one left. Loop thread. */
#define DM_SEQ_ID_MAX 128
/* A request's sequence parameters. An integer id is kept in decimal: 42 and "42" are one
 * sequence; "" (and 0) means no sequence. */
typedef struct dm_seq_params {
    char id[DM_SEQ_ID_MAX + 1];
    bool start, end;
} dm_seq_params;
/* A string id (N bytes): 1 to DM_SEQ_ID_MAX printable ASCII characters without space, quote
 * or backslash; "" and "0" mean none. -1 with the reason in ERR (naming WHERE). */
int dm_seq_set_id(dm_seq_params *p, const char *s, size_t n, const char *where, char *err,
                  size_t len);
void dm_seq_set_id_num(dm_seq_params *p, uint64_t id); /* 0: none */
/* Start or end without an id: -1 with the reason in ERR. */
int dm_seq_check(const dm_seq_params *p, const char *where, char *err, size_t len);

typedef struct dm_seqs dm_seqs;
typedef enum { DM_SEQ_RUN, DM_SEQ_WAIT, DM_SEQ_REFUSED } dm_seq_admission;
/* The sequences of every model; C's max_sequences and sequence_idle_ms are read when used
 * (a reload applies them). NULL without memory. */
dm_seqs *dm_seqs_new(uv_loop_t *loop, const dm_config *c);
/* After every request has been answered; its timer closes on the loop's next turn. */
void dm_seqs_free(dm_seqs *s);
/* Admit R (made for R->v) with P: RUN (submit it: its state is set; a stateless model's
 * request runs as without P), WAIT (it runs when dm_seqs_done hands it back), or REFUSED
 * (R->status and R->error say why; R is not the sequence's). */
dm_seq_admission dm_seqs_admit(dm_seqs *s, dm_request *r, const dm_seq_params *p);
/* R has ended (every admitted request of a sequence comes here once): the next request of its
 * sequence to submit, or NULL. */
dm_request *dm_seqs_done(dm_seqs *s, dm_request *r);
/* SUBMIT(R) now, or once the SUBMIT running on this stack returns (a request answered inside
 * SUBMIT may hand back the next of its sequence: no recursion however many wait). */
void dm_seqs_dispatch(dm_seqs *s, dm_request *r, void (*submit)(dm_request *r));
/* Versions left E: its sequences on them end (a tombstone says so to their next request);
 * their waiting requests come back as a chain (linked by seq_next) for the caller to fail. */
dm_request *dm_seqs_retire(dm_seqs *s, dm_entry *e);
size_t dm_seqs_live(const dm_seqs *s, const dm_entry *e); /* NULL: all models */

#endif
