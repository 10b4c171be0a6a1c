/* runtime/isa.c - the public kernel-level functions of edge/runtime.h.
 *
 * Owns: edge_isa_name, edge_isa_parse, edge_isa_best, edge_isa_default,
 * edge_isa_effective, edge_isa_env_warning and edge_isa_peak_gops, over the kernels' detection and
 * names (kernels/dispatch.c), so that the kernels layer defines no public API.
 * Does not own CPU feature detection or the kernel tables. */
#include "dispatch.h"
#include "edge/runtime.h"
#include "peak.h"

EDGE_API const char *edge_isa_name(edge_isa isa)
{
    return edge__isa_name(isa);
}

EDGE_API int edge_isa_parse(const char *name, edge_isa *isa, edge_error *err)
{
    return edge__isa_parse(name, isa, err);
}

EDGE_API edge_isa edge_isa_best(void)
{
    return edge_isa_cpu_best();
}

EDGE_API edge_isa edge_isa_default(void)
{
    return edge_isa_resolve(EDGE_ISA_AUTO);
}

EDGE_API edge_isa edge_isa_effective(edge_isa want)
{
    return edge_isa_resolve(want);
}

EDGE_API const char *edge_isa_env_warning(void)
{
    return edge_isa_env_problem();
}

EDGE_API double edge_isa_peak_gops(edge_isa isa)
{
    return edge_peak_gops(isa);
}
