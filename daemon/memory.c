/* daemon/memory.c - edged's heap: glibc's settings, and giving back what large requests freed.
 *
 * Owns: the malloc tuning set at start (large allocations stay in the heap, which keeps up to
 * 64 MiB of freed memory), and the one timer that returns freed heap to the system a second
 * after a large request body or MQTT payload went, so a flood of uploads leaves no resident
 * memory behind. Does not own: what is allocated (every module), the budget of HTTP bytes
 * (http_admit.c). Threads: dm_trim_soon on the loop thread only. */
#include <malloc.h>

#include "daemon.h"
#include "mem.h"

#define TRIM_DELAY_MS 1000

void dm_memory_init(void)
{
    /* Model copies and packed weights come and go with every reload: keep
     * them in the heap (up to 32 MiB each) and their freed pages for the next
     * load, rather than mmap and munmap them each time (each munmap sends a
     * TLB shootdown to the CPUs serving requests). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

void dm_memory_budgeted(void)
{
    /* Under [models] memory_budget models come and go by design, and what an evicted one took
     * must leave edged: large blocks (packed weights, arenas) are mapped and unmapped on their
     * own, and the heap keeps little of what was freed. */
    mallopt(M_MMAP_THRESHOLD, 256 << 10);
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
}

static void on_trim(uv_timer_t *t)
{
    (void)t;
    malloc_trim(0);
}

void dm_trim_soon(dm_daemon *d)
{
    uv_handle_t *h = (uv_handle_t *)&d->trim;
    if (!h->data) { /* first use; closed with every other handle at shut-down */
        uv_timer_init(d->loop, &d->trim);
        uv_unref(h);
        h->data = d;
    }
    if (!uv_is_closing(h))
        uv_timer_start(&d->trim, on_trim, TRIM_DELAY_MS, 0);
}
