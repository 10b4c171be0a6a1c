/* kernels/dispatch.c - CPU feature detection and the kernel table of each level.
 *
 * Owns: reading the CPU's features once (cpuid + xgetbv on x86-64: AVX2 needs
 * the OS to save YMM state, AVX-512 the opmask/ZMM state too; getauxval on
 * ARM: HWCAP_ASIMD / HWCAP_ASIMDDP on aarch64, HWCAP_NEON on 32-bit ARM), the
 * EDGE_ISA cap, the order of the levels (edge__isa_rank: the enum's values are
 * not it), level names (edge__isa_name/_parse; the public edge_isa_*
 * wrappers are runtime/isa.c), and which table each level uses. The tables
 * themselves live beside their kernels (x86/table_*.c, arm/table_*.c).
 * Level avxvnni has two tables of the same kernels: vpdpbusd VEX-encoded (the
 * AVX-VNNI CPUs: cpuid 7.1 EAX bit 4) and EVEX-encoded (AVX512-VNNI + VL, for
 * a CPU with AVX-512 VNNI but no AVX-VNNI, e.g. Zen 4, Ice Lake: a cap to
 * avxvnni there runs the algorithm N100 runs, with the other encoding).
 * Does not own the kernels or what an op does with a table (backends/cpu). */
#include "dispatch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) || defined(__arm__)
#include <sys/auxv.h>
#endif

#include "seterr.h"

/* Per-level tables, defined by the level's own table file. */
extern const edge_kernels edge_kernels_avx2;
extern const edge_kernels edge_kernels_avx512vnni;
extern const edge_kernels edge_kernels_avxvnni;
extern const edge_kernels edge_kernels_avxvnni_evex;
extern const edge_kernels edge_kernels_neon;
extern const edge_kernels edge_kernels_neondot;

static const edge_kernels scalar_table = {.isa = EDGE_ISA_SCALAR, .name = "scalar"};

/* Levels of this architecture, lowest first. */
static const edge_isa arch_levels[] = {
    EDGE_ISA_SCALAR,
#if defined(__x86_64__)
    EDGE_ISA_AVX2,
    EDGE_ISA_AVXVNNI,
    EDGE_ISA_AVX512VNNI,
#elif defined(__aarch64__)
    EDGE_ISA_NEON,
    EDGE_ISA_NEONDOT,
#elif defined(__arm__)
    EDGE_ISA_NEON,
#endif
};
#define N_LEVELS (sizeof arch_levels / sizeof arch_levels[0])

static bool level_of_arch(edge_isa isa)
{
    for (size_t i = 0; i < N_LEVELS; i++)
        if (arch_levels[i] == isa)
            return true;
    return false;
}

int edge__isa_rank(edge_isa isa)
{
    if (isa == EDGE_ISA_AUTO)
        return 0;
    for (size_t i = 0; i < N_LEVELS; i++)
        if (arch_levels[i] == isa)
            return (int)i + 1;
    return -1;
}

const edge_kernels *edge_kernels_for(edge_isa isa)
{
    if (!level_of_arch(isa))
        return NULL;
    switch (isa) {
#if defined(__x86_64__)
    case EDGE_ISA_AVX2: return &edge_kernels_avx2;
    case EDGE_ISA_AVXVNNI:
        return edge__avxvnni_encoding() == EDGE_AVXVNNI_ENC_EVEX ? &edge_kernels_avxvnni_evex
                                                                 : &edge_kernels_avxvnni;
    case EDGE_ISA_AVX512VNNI: return &edge_kernels_avx512vnni;
#elif defined(__aarch64__)
    case EDGE_ISA_NEON: return &edge_kernels_neon;
    case EDGE_ISA_NEONDOT: return &edge_kernels_neondot;
#elif defined(__arm__)
    case EDGE_ISA_NEON: return &edge_kernels_neon;
#endif
    default: return &scalar_table;
    }
}

/* ---- CPU features, read once ---- */

static edge_avxvnni_enc avxvnni_enc; /* set by detect() */

#if defined(__x86_64__)
static edge_isa detect(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return EDGE_ISA_SCALAR;
    const bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12);
    if (!osxsave || !avx)
        return EDGE_ISA_SCALAR;
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    (void)xhi;
    const bool ymm_os = (xlo & 0x6) == 0x6;             /* SSE + AVX state */
    const bool zmm_os = ymm_os && (xlo & 0xe0) == 0xe0; /* opmask, ZMM_Hi256, Hi16_ZMM */
    if (!ymm_os || __get_cpuid_max(0, NULL) < 7)
        return EDGE_ISA_SCALAR;
    __cpuid_count(7, 0, a, b, c, d);
    const bool avx2 = b & (1u << 5);
    const bool avx512f = b & (1u << 16), avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
    const bool avx512dq = b & (1u << 17), avx512cd = b & (1u << 28);
    const bool vnni = c & (1u << 11);
    unsigned sub1 = 0;
    if (a >= 1) { /* leaf 7's EAX: its last subleaf */
        unsigned b1, c1, d1;
        __cpuid_count(7, 1, sub1, b1, c1, d1);
    }
    const bool avxvnni = sub1 & (1u << 4);
    if (avx2 && fma && avxvnni)
        avxvnni_enc = EDGE_AVXVNNI_ENC_VEX;
    else if (zmm_os && avx2 && fma && avx512f && avx512vl && vnni)
        avxvnni_enc = EDGE_AVXVNNI_ENC_EVEX;
    if (zmm_os && avx2 && avx512f && avx512bw && avx512vl && avx512dq && avx512cd && vnni)
        return EDGE_ISA_AVX512VNNI;
    if (avx2 && fma && avxvnni)
        return EDGE_ISA_AVXVNNI;
    if (avx2 && fma)
        return EDGE_ISA_AVX2;
    return EDGE_ISA_SCALAR;
}
#elif defined(__aarch64__)
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
static edge_isa detect(void)
{
    const unsigned long hw = getauxval(AT_HWCAP);
    if (hw & HWCAP_ASIMDDP)
        return EDGE_ISA_NEONDOT;
    if (hw & HWCAP_ASIMD)
        return EDGE_ISA_NEON;
    return EDGE_ISA_SCALAR;
}
#elif defined(__arm__)
#ifndef HWCAP_NEON
#define HWCAP_NEON (1 << 12)
#endif
static edge_isa detect(void)
{
    return (getauxval(AT_HWCAP) & HWCAP_NEON) ? EDGE_ISA_NEON : EDGE_ISA_SCALAR;
}
#else
static edge_isa detect(void)
{
    return EDGE_ISA_SCALAR;
}
#endif

static struct {
    edge_isa best;     /* the CPU's */
    edge_isa cap;      /* EDGE_ISA, or EDGE_ISA_AUTO */
    char problem[600]; /* a bad EDGE_ISA value */
} feat;
static pthread_once_t feat_once = PTHREAD_ONCE_INIT;

static void feat_init(void)
{
    feat.best = detect();
    feat.cap = EDGE_ISA_AUTO;
    const char *env = getenv("EDGE_ISA");
    if (env && *env && strcmp(env, "auto") != 0) {
        edge_isa isa;
        edge_error err;
        if (edge__isa_parse(env, &isa, &err) == 0)
            feat.cap = isa;
        else
            snprintf(feat.problem, sizeof feat.problem, "EDGE_ISA ignored: %s", err.message);
    }
}

edge_isa edge_isa_cpu_best(void)
{
    pthread_once(&feat_once, feat_init);
    return feat.best;
}

edge_avxvnni_enc edge__avxvnni_encoding(void)
{
    pthread_once(&feat_once, feat_init);
    return avxvnni_enc;
}

const char *edge_isa_env_problem(void)
{
    pthread_once(&feat_once, feat_init);
    return feat.problem[0] ? feat.problem : NULL;
}

edge_isa edge_isa_resolve(edge_isa want)
{
    pthread_once(&feat_once, feat_init);
    edge_isa isa = feat.best;
    if (feat.cap != EDGE_ISA_AUTO && edge__isa_rank(feat.cap) < edge__isa_rank(isa))
        isa = feat.cap;
    if (want != EDGE_ISA_AUTO && edge__isa_rank(want) < edge__isa_rank(isa))
        isa = want;
    return level_of_arch(isa) ? isa : EDGE_ISA_SCALAR;
}

static const edge_kernels *forced_table;

void edge__kernels_force(const edge_kernels *k)
{
    forced_table = k;
}

const edge_kernels *edge__kernels_forced(void)
{
    return forced_table;
}

/* ---- names (the public edge_isa_* functions are runtime/isa.c's) ---- */

const char *edge__isa_name(edge_isa isa)
{
    switch (isa) {
    case EDGE_ISA_AUTO: return "auto";
    case EDGE_ISA_SCALAR: return "scalar";
    case EDGE_ISA_AVX2: return "avx2";
    case EDGE_ISA_AVX512VNNI: return "avx512vnni";
    case EDGE_ISA_AVXVNNI: return "avxvnni";
    case EDGE_ISA_NEON: return "neon";
    case EDGE_ISA_NEONDOT: return "neondot";
    }
    return "unknown";
}

int edge__isa_parse(const char *name, edge_isa *isa, edge_error *err)
{
    static const edge_isa all[] = {EDGE_ISA_AUTO,    EDGE_ISA_SCALAR,     EDGE_ISA_AVX2,
                                   EDGE_ISA_AVXVNNI, EDGE_ISA_AVX512VNNI, EDGE_ISA_NEON,
                                   EDGE_ISA_NEONDOT};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, edge__isa_name(all[i])) != 0)
            continue;
        if (all[i] != EDGE_ISA_AUTO && !level_of_arch(all[i]))
            break;
        *isa = all[i];
        return 0;
    }
    char valid[96] = "auto";
    for (size_t i = 0; i < N_LEVELS; i++) {
        strncat(valid, ", ", sizeof valid - strlen(valid) - 1);
        strncat(valid, edge__isa_name(arch_levels[i]), sizeof valid - strlen(valid) - 1);
    }
    return edge__seterr(err, EDGE_EINVAL, "kernel level '%s' is not one of this build's: %s",
                        name ? name : "(null)", valid);
}
