/* daemon/config_impl.h - what the three files of the configuration share.
 *
 * Owns: the option table's row type (the core table in config.c, each front end's rows in
 * its own file, handed over in a dm_config_section), the walk over all of them, and the
 * value functions of config_values.c that config.c and config_render.c call.
 * Does not own the public API (daemon.h). */
#ifndef EDGED_CONFIG_IMPL_H
#define EDGED_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

typedef enum {
    OPT_STRING,   /* free text (bounds: length) */
    OPT_PATH,     /* a file system path (bounds: length) */
    OPT_UINT,     /* decimal integer */
    OPT_AUTO,     /* decimal integer (from MIN, at least 1), or auto stored as 0 */
    OPT_BYTES,    /* decimal integer with an optional K, M, G or T suffix (powers of 1024) */
    OPT_MODE,     /* octal file mode */
    OPT_LEVEL,    /* log level name */
    OPT_ISA,      /* kernel level name (edge_isa_parse) */
    OPT_CHOICE,   /* one of the words in CHOICES ("a|b|c"), stored as a string */
    OPT_TOPIC,    /* an MQTT topic name without wildcards (bounds: length); may be empty */
    OPT_ADDR,     /* a numeric HOST:PORT (dm_parse_addr), stored as given; may be empty */
    OPT_BUS,      /* system, user, none or a D-Bus address (TRANSPORT:KEY=VALUE,...) */
    OPT_BACKENDS, /* auto, cpu or back-end names "a, b" (dm_backend_spec_check) */
} opt_type;

typedef struct opt {
    const char *section;
    const char *key;
    const char *cli; /* dm_config_set / command-line name, or NULL */
    opt_type type;
    size_t off, size;  /* the field: in dm_config (the core table), in its section's struct */
    uint64_t min, max; /* value range; length range for strings */
    const char *def;   /* the default, in the file's syntax */
    bool live;         /* a SIGHUP applies a new value */
    const char *help;
    const char *choices; /* OPT_CHOICE: the accepted words, "a|b|c" */
} opt;

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define TIB (1024ull * GIB)

/* config.c: every option (the core table and the sections dm_config_use_sections was
 * given), in file order; I past the end: NULL. */
const opt *dm_config_entry(size_t i);
/* Where entry I's offset counts from in C: C itself, or its section's storage. */
const void *dm_config_base(const dm_config *c, size_t i);
/* Section S's name and its line in the man page, in file order (NULL past the end). */
const char *dm_config_section_name(size_t s);
const char *dm_config_section_help(size_t s);

/* config_values.c */
/* Parse VALUE (the file's syntax) into O's field at BASE (dm_config_base); -1 with what is
 * wrong in MSG. */
int dm_opt_parse(const opt *o, const char *value, void *base, char *msg, size_t len);
/* O's value at BASE as the file would say it. */
void dm_opt_format(const opt *o, const void *base, char *buf, size_t len);
/* The values O accepts, in words (BRIEF: for the INI file's comment). */
void dm_opt_describe(const opt *o, bool brief, char *buf, size_t len);

#endif
