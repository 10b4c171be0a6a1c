/* common/profile_sum.c - see profile_sum.h. */
#include <stdlib.h>
#include <string.h>

#include "profile_sum.h"

const char *edge_profile_type_name(const edge_node_profile *p)
{
    return p->custom_code ? p->custom_code : p->op_name;
}

static int by_self_desc(const void *a, const void *b)
{
    const edge_node_profile *x = a, *y = b;
    if (x->self_ns != y->self_ns)
        return x->self_ns < y->self_ns ? 1 : -1;
    if (x->subgraph != y->subgraph)
        return x->subgraph - y->subgraph;
    return x->node - y->node;
}

static int total_desc(const void *a, const void *b)
{
    const edge_profile_total *x = a, *y = b;
    if (x->self_ns != y->self_ns)
        return x->self_ns < y->self_ns ? 1 : -1;
    return strcmp(x->name, y->name);
}

void edge_profile_sort(edge_node_profile *e, size_t n)
{
    if (n > 1)
        qsort(e, n, sizeof *e, by_self_desc);
}

static int cmp_u32(const void *a, const void *b)
{
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

uint64_t edge_profile_median(const uint32_t *v, size_t n)
{
    if (!n)
        return 0;
    uint32_t s[EDGE_PROFILE_SAMPLES];
    n = n < EDGE_PROFILE_SAMPLES ? n : EDGE_PROFILE_SAMPLES;
    memcpy(s, v, n * sizeof s[0]);
    qsort(s, n, sizeof s[0], cmp_u32);
    return n % 2 ? s[n / 2] : ((uint64_t)s[n / 2 - 1] + s[n / 2]) / 2;
}

size_t edge_profile_totals(const edge_node_profile *e, size_t n, edge_profile_total *t)
{
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = edge_profile_type_name(&e[i]);
        size_t j = 0;
        while (j < nt && strcmp(t[j].name, name))
            j++;
        if (j == nt)
            t[nt++] = (edge_profile_total){.name = name};
        t[j].nodes++;
        t[j].self_ns += e[i].self_ns;
        if (e[i].macs) {
            t[j].macs += e[i].macs;
            t[j].median_ns += e[i].median_ns;
        }
    }
    if (nt > 1)
        qsort(t, nt, sizeof *t, total_desc);
    return nt;
}

double edge_profile_gops(uint64_t macs, uint64_t ns)
{
    return ns ? 2.0 * (double)macs / (double)ns : 0.0;
}
