/* daemon/config_render.c - the option table rendered: edged.conf and edged.conf(5).
 *
 * Owns: rendering a configuration as a commented INI file (every option with
 * its help, range and whether SIGHUP applies it; conf/edged.conf is the
 * rendering of the defaults, so the example cannot drift from the code) and
 * the option table as the roff man page edged.conf(5) (gen_confman.c).
 * Does not own: the table (config.c) or the values' syntax (config_values.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/memfile.h"
#include "config_impl.h"

static const char file_head[] =
    "# edged.conf: configuration of edged, the inference daemon (INI syntax).\n"
    "#\n"
    "# Generated from the option table in daemon/config.c; regenerate with\n"
    "#   edged --config /dev/null --print-config > conf/edged.conf\n"
    "# Every option is listed with its help and its default. A commented-out line\n"
    "# shows the default: remove the '#' to change the value. Comments are lines\n"
    "# starting with '#' or ';' (or ';' after a value). Sizes take a K, M, G or T\n"
    "# suffix (powers of 1024); times are in milliseconds.\n"
    "# The command line overrides this file: --socket, --models, --workers,\n"
    "# --log-level. On SIGHUP (systemctl reload edged) edged re-reads this file and\n"
    "# rescans the model repository; an option that takes a restart keeps its\n"
    "# value until edged restarts.\n";

/* HELP as "# " lines of at most 80 columns. */
static void put_wrapped(FILE *f, const char *help)
{
    const char *p = help;
    while (*p) {
        size_t take = strlen(p);
        if (take > 78) {
            take = 78;
            while (take > 0 && p[take] != ' ')
                take--;
            if (take == 0)
                take = strcspn(p, " ");
        }
        fprintf(f, "# %.*s\n", (int)take, p);
        p += take;
        while (*p == ' ')
            p++;
    }
}

static void put_option(FILE *f, size_t i, const dm_config *c, const dm_config *defaults)
{
    const opt *o = dm_config_entry(i);
    char value[300], def[300], range[128];
    dm_opt_format(o, dm_config_base(c, i), value, sizeof value);
    dm_opt_format(o, dm_config_base(defaults, i), def, sizeof def);
    dm_opt_describe(o, true, range, sizeof range);
    fputc('\n', f);
    put_wrapped(f, o->help);
    fprintf(f, "# Value: %s. %s.\n", range,
            o->live ? "SIGHUP applies a change" : "Takes a restart");
    fprintf(f, "%s%s =%s%s\n", strcmp(value, def) == 0 ? "#" : "", o->key, value[0] ? " " : "",
            value);
}

/* WRITE's text (given C and the defaults) in a malloc'd string of *LEN bytes, or NULL. */
static char *render(void (*write)(FILE *f, const dm_config *c, const dm_config *defaults),
                    const dm_config *c, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = edge_memfile_open(&buf, &size);
    if (!f)
        return NULL;
    dm_config defaults;
    dm_config_defaults(&defaults);
    write(f, c, &defaults);
    return edge_memfile_close(f, &buf, &size, len);
}

static void write_ini(FILE *f, const dm_config *c, const dm_config *defaults)
{
    fputs(file_head, f);
    const char *sec;
    for (size_t s = 0; (sec = dm_config_section_name(s)) != NULL; s++) {
        fprintf(f, "\n[%s]\n", sec);
        for (size_t i = 0; dm_config_entry(i); i++)
            if (strcmp(dm_config_entry(i)->section, sec) == 0)
                put_option(f, i, c, defaults);
        if (strcmp(sec, "backends") == 0)
            fputs("\n# Each plugin's options go in [backend.NAME], passed to it as they are:\n"
                  "# [backend.edgetpu]\n# device = usb:0\n# performance = high\n"
                  "# [backend.vulkan]\n# device = 0\n",
                  f);
    }
    for (size_t i = 0; i < c->n_backend_opts; i++) {
        const dm_backend_opt *o = &c->backend_opts[i];
        if (i == 0 || strcmp(o->backend, c->backend_opts[i - 1].backend))
            fprintf(f, "\n[backend.%s]\n", o->backend);
        fprintf(f, "%s = %s\n", o->key, o->value);
    }
}

char *dm_config_render(const dm_config *c, size_t *len)
{
    return render(write_ini, c, len);
}

/* S for roff: a leading '.' or '\'' and every backslash escaped; '-' as \- . */
static void put_roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

static void write_man(FILE *f, const dm_config *c, const dm_config *defaults)
{
    (void)c;
    fputs(".\\\" Generated from the option table in daemon/config.c; do not edit.\n"
          ".TH EDGED.CONF 5 \"\" \"edged " EDGED_VERSION "\" \"File Formats\"\n"
          ".SH NAME\nedged.conf \\- configuration file of edged, the inference daemon\n"
          ".SH SYNOPSIS\n/etc/edged/edged.conf\n"
          ".SH DESCRIPTION\n"
          "edged reads its configuration from an INI file: \\fB[section]\\fP lines and "
          "\\fIkey\\fP = \\fIvalue\\fP lines. Comments are lines starting with '#' or ';'. "
          "Sizes take a K, M, G or T suffix (powers of 1024); times are in milliseconds. "
          "An unknown section, an unknown key or a bad value stops edged with the file, "
          "the line and what is wrong (exit status 2). The command line overrides the file "
          "(see \\fBedged\\fP(8)).\n.PP\n"
          "On SIGHUP (\\fBsystemctl reload edged\\fP, or Reload over D\\-Bus) edged re-reads "
          "the file: options marked \\fIapplied on reload\\fP take effect at once; the others "
          "keep their value until edged restarts, and the log says so.\n.PP\n"
          "\\fBedged \\-\\-config /dev/null \\-\\-print\\-config\\fP prints every option "
          "with its default as a commented file.\n",
          f);
    const char *sec;
    for (size_t s = 0; (sec = dm_config_section_name(s)) != NULL; s++) {
        fprintf(f, ".SH [%s]\n", sec);
        if (dm_config_section_help(s))
            fprintf(f, "%s\n", dm_config_section_help(s));
        const opt *o;
        for (size_t i = 0; (o = dm_config_entry(i)) != NULL; i++) {
            if (strcmp(o->section, sec) != 0)
                continue;
            char def[300], range[160];
            dm_opt_format(o, dm_config_base(defaults, i), def, sizeof def);
            dm_opt_describe(o, false, range, sizeof range);
            fputs(".TP\n.B ", f);
            put_roff(f, o->key);
            fputs("\n", f);
            put_roff(f, o->help);
            fputs("\n.RS\n.PP\nValue: ", f);
            put_roff(f, range);
            fputs(". Default: ", f);
            if (def[0]) {
                fputs("\\fB", f);
                put_roff(f, def);
                fputs("\\fP", f);
            } else {
                fputs("empty", f);
            }
            fprintf(f, ". %s.", o->live ? "Applied on reload" : "Takes a restart");
            if (o->cli) {
                fputs(" Command line: \\fB\\-\\-", f);
                put_roff(f, o->cli);
                fputs("\\fP.", f);
            }
            fputs("\n.RE\n", f);
        }
    }
    fputs(".SH FILES\n.TP\n/etc/edged/edged.conf\nThe configuration file.\n"
          ".SH SEE ALSO\n\\fBedged\\fP(8), \\fBedgectl\\fP(1)\n",
          f);
}

char *dm_config_render_man(size_t *len)
{
    return render(write_man, NULL, len);
}
