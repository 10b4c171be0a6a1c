/* daemon/codec_cache.c - the parse cache: a side table of parsed request headers.
 *
 * Owns: per model (keyed by its entry's id), one slot per version (keyed by
 * the version's uid, unique in the process) holding the last all-binary
 * header dm_codec_parse_infer_cached parsed for it; dropping the slots of
 * versions that left their model (dm_codec_cache_retire, from request.c) and,
 * when a model has more versions than slots, the oldest version's slot. The
 * registry knows nothing of it.
 * Does not own: what a slot holds (codec_infer.c). Loop thread only. */
#include <stdlib.h>

#include "codec.h"
#include "registry.h"
#include "table.h"

typedef struct slot {
    uint64_t uid; /* 0: free */
    void *parsed;
    void (*free_parsed)(void *parsed);
} slot;

typedef struct model_slots {
    slot s[DM_MAX_VERSIONS];
} model_slots;

struct dm_codec_cache {
    dm_table models; /* model_slots * by dm_entry.id; NULL until a version parses */
};

static void slot_clear(slot *s)
{
    if (s->parsed && s->free_parsed)
        s->free_parsed(s->parsed);
    *s = (slot){0};
}

dm_codec_cache *dm_codec_cache_new(void)
{
    return calloc(1, sizeof(dm_codec_cache));
}

static void slots_free(void *p)
{
    model_slots *ms = p;
    for (size_t k = 0; k < DM_MAX_VERSIONS; k++)
        slot_clear(&ms->s[k]);
    free(ms);
}

void dm_codec_cache_free(dm_codec_cache *c)
{
    if (!c)
        return;
    dm_table_free(&c->models, slots_free);
    free(c);
}

/* The slots of entry ID, created on first use; NULL without memory. */
static model_slots *slots_of(dm_codec_cache *c, size_t id)
{
    void **at = dm_table_slot(&c->models, id);
    if (at && !*at)
        *at = calloc(1, sizeof(model_slots));
    return at ? *at : NULL;
}

/* V's slot: its own, a free one, or the oldest version's (cleared). */
static slot *slot_for(model_slots *ms, uint64_t uid)
{
    slot *pick = &ms->s[0];
    for (size_t k = 0; k < DM_MAX_VERSIONS; k++) {
        slot *s = &ms->s[k];
        if (s->uid == uid)
            return s;
        if (pick->uid && (!s->uid || s->uid < pick->uid))
            pick = s;
    }
    slot_clear(pick);
    pick->uid = uid;
    return pick;
}

int dm_codec_parse_cached(dm_codec_cache *c, const dm_version *v, uint8_t *body, size_t len,
                          int64_t header_len, dm_infer **out, char *err, size_t errlen)
{
    model_slots *ms = c && v->entry ? slots_of(c, v->entry->id) : NULL;
    if (!ms)
        return dm_codec_parse_infer(v->model, body, len, header_len, out, err, errlen);
    slot *s = slot_for(ms, v->uid);
    return dm_codec_parse_infer_cached(v->model, &s->parsed, &s->free_parsed, body, len, header_len,
                                       out, err, errlen);
}

void dm_codec_cache_retire(dm_codec_cache *c, dm_entry *e)
{
    model_slots *ms = c ? dm_table_get(&c->models, e->id) : NULL;
    if (!ms)
        return;
    dm_version *vs[DM_MAX_VERSIONS];
    const size_t n = dm_entry_versions(e, vs, DM_MAX_VERSIONS);
    for (size_t k = 0; k < DM_MAX_VERSIONS; k++) {
        bool serving = false;
        for (size_t i = 0; i < n && !serving; i++)
            serving = vs[i]->uid == ms->s[k].uid;
        if (ms->s[k].uid && !serving)
            slot_clear(&ms->s[k]);
    }
}
