/* daemon/wakeword_off.c - the wakeword kind in a build without the wake-word engines.
 *
 * Owns: the answers of wakeword.h when wakeword.c is left out: no name is a wakeword model, so
 * the OIP router serves the registry's models as before. Does not own: anything else. */
#include "wakeword.h"

bool dm_wakeword_infer(dm_daemon *d, dm_exchange *x, const char *name, int64_t version)
{
    (void)d, (void)x, (void)name, (void)version;
    return false;
}

bool dm_wakeword_metadata(dm_daemon *d, dm_exchange *x, const char *name, int64_t version)
{
    (void)d, (void)x, (void)name, (void)version;
    return false;
}

bool dm_wakeword_is(dm_daemon *d, const char *name)
{
    (void)d, (void)name;
    return false;
}

bool dm_wakeword_submit(dm_daemon *d, const char *name, int64_t version, const dm_wakeword_chunk *c)
{
    (void)d, (void)name, (void)version, (void)c;
    return false;
}
