/* daemon/gen_confman.c - writes edged.conf(5) from the option table and the front ends'
 * sections (a build step).
 * usage: gen-confman OUTPUT */
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "frontend.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen-confman OUTPUT\n");
        return 2;
    }
    dm_frontends_config(); /* the front ends' sections, as edged has them */
    size_t len = 0;
    char *text = dm_config_render_man(&len);
    FILE *f = text ? fopen(argv[1], "w") : NULL;
    const int ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0) {
        free(text);
        return 1;
    }
    free(text);
    if (!ok)
        fprintf(stderr, "gen-confman: cannot write %s\n", argv[1]);
    return ok ? 0 : 1;
}
