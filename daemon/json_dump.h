/* daemon/json_dump.h - JSON text of a jansson value that is whole or NULL.
 *
 * Owns: dm_json_dumps, json_dumps for the daemon's replies. jansson 2.14's
 * dumper ignores a failed write of an object key (dump_string's result), so
 * when memory runs short json_dumps can return text with a quote missing -
 * malformed JSON sent as a 200 reply. Here the text goes through a memfile
 * (common/memfile.h), whose failed writes stay failed: any of them fails the dump.
 * Does not own: the values (oip.c, http.c, mqtt_req.c build them). */
#ifndef EDGED_JSON_DUMP_H
#define EDGED_JSON_DUMP_H

#include <stddef.h>

#include <jansson.h>

/* J as text (malloc'd, NUL-terminated) with json_dumps' FLAGS; NULL when out of memory. */
char *dm_json_dumps(const json_t *j, size_t flags);

#endif
