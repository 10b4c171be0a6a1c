/* client/cmd_sign.c - edgectl keygen, sign and verify: the operator's side of [models] verify.
 *
 * Owns: the three commands' arguments, reading the model file whole, and their messages and
 * exit codes; the formats and the cryptography are common/modelsig.c's (libsodium), the same
 * code edged checks with.
 *   edgectl keygen STEM                       STEM.key (secret, 0600) and STEM.pub
 *   edgectl sign MODEL --key STEM.key [--digest]   MODEL.sig (and MODEL.sha256)
 *   edgectl verify MODEL [--key STEM.pub | --keys DIR | --digest]
 * Exit codes: 0 done or verified, 1 not verified or refused, 2 usage, 3 a file. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/modelsig.h"
#include "edgectl.h"

#define DEFAULT_KEYS "/etc/edged/trusted-keys.d"

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
