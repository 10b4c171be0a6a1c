/* client/cmd_sign.c - edgectl keygen, sign and verify: the operator's side of [models] verify.
 *
 * Owns: the three commands' arguments, reading the model file whole, and their messages and
 * exit codes; the formats and the cryptography are common/modelsig.c's (libsodium), the same
 * code edged checks with.
 *   edgectl keygen STEM                       STEM.key (secret, 0600) and STEM.pub
 *   edgectl sign MODEL --key STEM.key [--digest]   MODEL.sig (and MODEL.sha256)
 *   edgectl verify MODEL [--key STEM.pub | --keys DIR | --digest]
 *   edgectl push NAME MODEL [--version V]     MODEL (and its sidecars) into edged, loaded
 * Exit codes: 0 done or verified, 1 not verified or refused, 2 usage, 3 a file, 4 no daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/modelsig.h"
#include "edgectl.h"
#include "edgectl_daemon.h"

#define DEFAULT_KEYS "/etc/edged/trusted-keys.d"
#define PUSH_MAX                                                                    \
    (1ull << 30) /* libedge's default max_file_bytes: the largest model edged opens \
                  */

static const char usage_text[] =
    "edgectl keygen STEM                         write STEM.key (secret) and STEM.pub\n"
    "edgectl sign MODEL --key STEM.key [--digest]  write MODEL.sig (and MODEL.sha256)\n"
    "edgectl verify MODEL [--key STEM.pub | --keys DIR | --digest]\n"
    "                                            check MODEL.sig (default: the keys edged\n"
    "                                            trusts, " DEFAULT_KEYS ") or MODEL.sha256\n";

int edgectl_sign(int argc, char **argv)
{
    const char *key = NULL, *keys = DEFAULT_KEYS;
    bool digest = false;
    static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                         {"keys", required_argument, NULL, 'K'},
                                         {"digest", no_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *cmd = argv[0];
    optind = 1;
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (o == 'k')
            key = optarg;
        else if (o == 'K')
            keys = optarg;
        else if (o == 'd')
            digest = true;
        else {
            fputs(usage_text, o == 'h' ? stdout : stderr);
            return o == 'h' ? EDGECTL_OK : EDGECTL_EUSAGE;
        }
    }
    const char *what = optind + 1 == argc ? argv[optind] : NULL;
    const bool keygen = !strcmp(cmd, "keygen"), sign = !strcmp(cmd, "sign");
    if (!what || (keygen && (key || digest)) || (sign && !key) ||
        (!keygen && !sign && key && digest)) {
        fputs(usage_text, stderr);
        return EDGECTL_EUSAGE;
    }
    char why[1024];
    if (keygen) {
        if (edge_sig_keygen(what, why, sizeof why)) {
            fprintf(stderr, "edgectl keygen: %s\n", why);
            return EDGECTL_EIO;
        }
        printf("wrote %s.key (secret: keep it off the gateways) and %s.pub (copy it into each "
               "gateway's %s)\n",
               what, what, DEFAULT_KEYS);
        return EDGECTL_OK;
    }
    size_t len;
    uint8_t *data = edgectl_read_file(what, &len, "the model");
    if (!data)
        return EDGECTL_EIO;
    int rc;
    if (sign) {
        rc = edge_sig_sign(what, data, len, key, digest, why, sizeof why);
        if (rc == 0)
            printf("wrote %s.sig%s%s%s\n", what, digest ? " and " : "", digest ? what : "",
                   digest ? ".sha256" : "");
    } else if (digest) {
        rc = edge_sig_check_digest(what, data, len, why, sizeof why);
        if (rc == 0)
            printf("%s: its SHA-256 matches %s.sha256\n", what, what);
    } else if (key) {
        rc = edge_sig_check_with_key(what, data, len, key, why, sizeof why);
        if (rc == 0)
            printf("%s: signed by %s\n", what, key);
    } else {
        char used[256];
        rc = edge_sig_check_signature(what, data, len, keys, geteuid(), used, sizeof used, why,
                                      sizeof why);
        if (rc == 0)
            printf("%s: signed by %s/%s\n", what, keys, used);
    }
    free(data);
    if (rc) {
        fprintf(stderr, "edgectl %s: %s\n", cmd, why);
        return EDGECTL_EFAIL;
    }
    return EDGECTL_OK;
}

/* ---------------------------------------------------------------- push */

/* PATH for a push: a regular file of at most PUSH_MAX bytes (edged opens no larger model), or
 * -1 after saying why; before a byte of it is read (/dev/zero is refused at once). */
static int push_file_ok(const char *path)
{
    struct stat st;
    if (stat(path, &st)) {
        fprintf(stderr, "edgectl push: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "edgectl push: %s is not a regular file\n", path);
        return -1;
    }
    if ((uint64_t)st.st_size > PUSH_MAX) {
        fprintf(stderr, "edgectl push: %s is %lld bytes; edged opens models of at most %llu\n",
                path, (long long)st.st_size, (unsigned long long)PUSH_MAX);
        return -1;
    }
    return 0;
}

/* What push P of NAME became, as text or JSON (O). */
static void print_pushed(const edgectl_common *o, const char *name, const edge_client_pushed *p,
                         const char *hex, bool sidecars)
{
    if (o->json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:b}", "model", name, "version", p->version,
                              "sha256", hex, "pushed", 1, "loaded", p->loaded);
        if (j && !p->loaded)
            json_object_set_new(j, "reason", json_string(p->reason));
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        printf("%s\n", text ? text : "{}");
        free(text);
        json_decref(j);
    } else if (p->loaded) {
        printf("%s version %s: pushed and loaded (sha256 %s%s)\n", name, p->version, hex,
               sidecars ? ", with its sidecars" : "");
    } else {
        printf("%s version %s: pushed (sha256 %s%s), not loaded: %s\n", name, p->version, hex,
               sidecars ? ", with its sidecars" : "", p->reason);
    }
}

/* edgectl push NAME FILE [--version V]: FILE (and FILE.sig, FILE.sha256 when they are there)
 * as version V of NAME (default: edged takes one past the newest version on its disk). */
int edgectl_push(int argc, char **argv)
{
    static const char push_usage[] =
        "usage: edgectl push MODEL FILE.tflite [--version V] [--json] [--socket PATH]\n"
        "  sends FILE (and FILE.sig, FILE.sha256 when present) as version V of MODEL\n"
        "  (default: one past the newest version in edged's repository); edged checks it,\n"
        "  verifies it as [models] verify says, and loads it; a file that fails never\n"
        "  replaces what serves\n";
    edgectl_common o = {0};
    const char *pos[2] = {NULL, NULL}, *version = NULL;
    size_t n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const int r = edgectl_common_opt(&o, argc, argv, &i);
        if (r == 1)
            continue;
        if (r == 0 && !strcmp(argv[i], "--version") && i + 1 < argc) {
            version = argv[++i];
            continue;
        }
        if (r == 0 && argv[i][0] != '-' && n_pos < 2) {
            pos[n_pos++] = argv[i];
            continue;
        }
        fputs(push_usage, stderr);
        return EDGECTL_EUSAGE;
    }
    if (n_pos != 2) {
        fputs(push_usage, stderr);
        return EDGECTL_EUSAGE;
    }
    const char *name = pos[0], *file = pos[1];
    edge_client_file files[3];
    size_t n = 0;
    static const char *const sides[3] = {"", ".sig", ".sha256"};
    static const char *const names[3] = {"model.tflite", "model.tflite.sig", "model.tflite.sha256"};
    uint8_t *data[3] = {NULL, NULL, NULL};
    int rc = EDGECTL_OK;
    for (int k = 0; k < 3 && rc == EDGECTL_OK; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s%s", file, sides[k]);
        if (k && access(path, F_OK))
            continue; /* no sidecar */
        size_t len;
        if (push_file_ok(path))
            rc = EDGECTL_EIO;
        else if (!(data[k] = edgectl_read_file(path, &len, k ? "a sidecar" : "the model")))
            rc = EDGECTL_EIO;
        else
            files[n++] = (edge_client_file){names[k], data[k], len};
    }
    char hex[65];
    edge_client *c = NULL;
    if (rc == EDGECTL_OK)
        rc = edgectl_open(&o, &c);
    if (rc == EDGECTL_OK) {
        edge_sig_sha256_hex(files[0].data, files[0].len, hex);
        edge_client_pushed p = {0};
        const int prc = edge_client_push(c, name, version, files, n, hex, &p);
        if (prc)
            rc = edgectl_client_fail(c, prc);
        else
            print_pushed(&o, name, &p, hex, n > 1);
    }
    edge_client_free(c);
    for (int k = 0; k < 3; k++)
        free(data[k]);
    return rc;
}
