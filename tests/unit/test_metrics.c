/* tests/unit/test_metrics.c - daemon/metrics.c's latency histograms as Prometheus reads them.
 *
 * Owns: checks that the compute histogram of /metrics (its text, parsed as Prometheus does)
 * gives, through histogram_quantile's interpolation, a p50 within 10% of the true median for
 * known latency distributions from 25 us to 20 s, YOLOv8n's 465 ms among them (the old
 * buckets showed 750 ms); that the bucket edges are the same on every render and ascend; that
 * an observation on an edge counts in that edge's bucket (le is inclusive); and that the
 * D-Bus name's state says off without a bus. Does not own the page's own interpolation
 * (tests/browser/test_status_page.py runs it in Chromium). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon.h"
#include "frontend.h"
#include "metrics.h"
#include "scheduler.h"

#define MAX_EDGES 256
#define N_SAMPLES 2001

typedef struct buckets {
    double le[MAX_EDGES], cum[MAX_EDGES]; /* ascending; the last is +Inf */
    size_t n;
} buckets;

/* MODEL's edged_request_compute_seconds buckets from the Prometheus TEXT. */
static buckets parse(const char *text, const char *model)
{
    buckets b = {.n = 0};
    char key[160];
    snprintf(key, sizeof key, "edged_request_compute_seconds_bucket{model=\"%s\",le=\"", model);
    for (const char *p = text; (p = strstr(p, key)) && b.n < MAX_EDGES;) {
        p += strlen(key);
        b.le[b.n] = strncmp(p, "+Inf", 4) == 0 ? INFINITY : strtod(p, NULL);
        p = strstr(p, "} ");
        assert_non_null(p);
        b.cum[b.n++] = strtod(p + 2, NULL);
    }
    return b;
}

/* Prometheus' histogram_quantile(Q): linear inside the bucket the rank falls in. */
static double quantile(const buckets *b, double q)
{
    const double rank = q * b->cum[b->n - 1];
    double lo = 0, below = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->cum[i] >= rank) {
            if (isinf(b->le[i]))
                return lo;
            return lo + (b->le[i] - lo) * (rank - below) / (b->cum[i] - below);
        }
        lo = b->le[i];
        below = b->cum[i];
    }
    return lo;
}

/* A deterministic normal deviate (Box-Muller over an LCG). */
static double normal(uint64_t *s)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        u[i] = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The old fixed buckets (100 us, 250 us, 500 us, ... 10 s), for the comparison printed. */
static double old_p50(const uint64_t *ns, size_t n)
{
    static const double le[16] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                  0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
    buckets b = {.n = 17};
    for (size_t i = 0; i < 17; i++) {
        b.le[i] = i < 16 ? le[i] : INFINITY;
        for (size_t k = 0; k < n; k++)
            b.cum[i] += (double)ns[k] / 1e9 <= b.le[i];
    }
    return quantile(&b, 0.5);
}

/* N_SAMPLES compute times around MEAN seconds (relative spread SD, 0: all equal) recorded for
 * MODEL; the rendered p50 must be within 10% of the samples' median. */
static void check_p50(const char *model, double mean, double sd)
{
    dm_metrics *m = dm_metrics_new();
    assert_non_null(m);
    static uint64_t ns[N_SAMPLES];
    uint64_t seed = 42;
    for (size_t i = 0; i < N_SAMPLES; i++) {
        const double s = mean * (1 + sd * normal(&seed));
        ns[i] = (uint64_t)llround((s > 0 ? s : mean) * 1e9);
        dm_metrics_request(m, model, DM_REQ_OK, 1000, ns[i]);
    }
    size_t len;
    char *text = dm_metrics_render(m, NULL, NULL, &len);
    assert_non_null(text);
    const buckets b = parse(text, model);
    assert_true(b.n > 2);
    assert_true(b.cum[b.n - 1] == N_SAMPLES);
    qsort(ns, N_SAMPLES, sizeof ns[0], cmp_u64);
    const double truth = (double)ns[N_SAMPLES / 2] / 1e9, got = quantile(&b, 0.5);
    const double err = fabs(got - truth) / truth;
    printf("# %-8s true p50 %10.6f s, /metrics' p50 %10.6f s (%4.1f%% off); old buckets "
           "%10.6f s\n",
           model, truth, got, 100 * err, old_p50(ns, N_SAMPLES));
    if (err > 0.10)
        fail_msg("%s: p50 %.6f s from the buckets, the median is %.6f s (%.1f%% off)", model, got,
                 truth, 100 * err);
    free(text);
    dm_metrics_free(m);
}

static void test_p50_within_10_percent(void **state)
{
    (void)state;
    check_p50("yolov8n", 0.465, 0.03); /* YOLOv8n on a Pi: shown as 750 ms before */
    check_p50("steady", 0.465, 0);     /* every request the same */
    check_p50("yolo+io", 0.510, 0.03); /* with inputs and outputs: shown as 750 ms before */
    check_p50("wide", 0.465, 0.25);
    check_p50("tiny", 25e-6, 0.05);
    check_p50("small", 0.0031, 0.05);
    check_p50("slow", 1.7, 0.02);
    check_p50("slower", 20.0, 0.01);
}

/* The edges: ascending, one +Inf, the same on every render; an observation on an edge counts
 * in its bucket. */
static void test_edges(void **state)
{
    (void)state;
    dm_metrics *m = dm_metrics_new();
    /* a daemon whose front ends' table is handed over (frontends.c) and none started */
    static dm_daemon d;
    d.frontends = dm_frontends;
    d.n_frontends = dm_n_frontends;
    dm_metrics_set_frontends(m, &d);
    dm_metrics_request(m, "edge", DM_REQ_OK, 0, 500000000); /* 0.5 s: an edge */
    size_t len;
    char *one = dm_metrics_render(m, NULL, NULL, &len);
    const buckets a = parse(one, "edge");
    dm_metrics_request(m, "edge", DM_REQ_OK, 0, 500000001);
    char *two = dm_metrics_render(m, NULL, NULL, &len);
    const buckets b = parse(two, "edge");
    printf("# %zu buckets, %g s .. %g s, then +Inf\n", a.n, a.le[0], a.le[a.n - 2]);
    assert_int_equal(a.n, b.n);
    assert_true(a.n >= 60 && a.n <= 130);
    assert_true(isinf(a.le[a.n - 1]));
    assert_true(a.le[0] <= 20e-6 && a.le[a.n - 2] >= 60);
    for (size_t i = 0; i < a.n; i++) {
        assert_true(a.le[i] == b.le[i]);
        if (i > 0 && !isinf(a.le[i])) /* steps of 10 to 20% */
            assert_true(a.le[i] / a.le[i - 1] > 1.10 && a.le[i] / a.le[i - 1] < 1.20);
    }
    size_t at = 0;
    while (a.le[at] < 0.5)
        at++;
    assert_true(a.le[at] == 0.5);
    assert_true(a.cum[at] == 1 && a.cum[at - 1] == 0);
    assert_true(b.cum[at] == 1 && b.cum[at + 1] == 2);
    /* no bus: the D-Bus name is off (a build without D-Bus, meson -Ddbus=disabled: no lines) */
    assert_int_equal(strstr(one, "\nedged_dbus_name_owned 0\n") != NULL, EDGED_HAVE_DBUS);
    assert_int_equal(strstr(one, "\nedged_dbus_name_state{state=\"off\"} 1\n") != NULL,
                     EDGED_HAVE_DBUS);
    free(one);
    free(two);
    dm_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_p50_within_10_percent),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
