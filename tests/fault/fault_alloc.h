/* tests/fault/fault_alloc.h - an allocator that fails the Nth allocation on request.
 *
 * Owns: the control of the interposer in fault_alloc.c, which replaces malloc,
 * calloc, realloc, the aligned allocators, strdup and strndup (forwarding to the
 * next definition: glibc's, or AddressSanitizer's), counts the calls made while
 * it is armed and makes the Nth of them fail (NULL, or ENOMEM from
 * posix_memalign), once; and, armed apart, the Nth write to a regular file, fsync,
 * fdatasync or rename (EIO). Linked into a test program it counts that program's
 * allocations (on the arming thread only, or on all threads); built as a shared
 * module and preloaded (LD_PRELOAD) into another process with EDGE_FAULT_CTL
 * naming a file of sizeof(fault_ctl) bytes, that process's allocations on all
 * threads, armed and read through the file (fault_ctl_map).
 * Does not own: what is run while armed (test_fault.c, test_fault_daemon.c). */
#ifndef EDGE_FAULT_ALLOC_H
#define EDGE_FAULT_ALLOC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

enum { FAULT_OFF, FAULT_THREAD, FAULT_ALL };

/* Shared with a preloaded process through a mapped file: plain atomics only. */
typedef struct fault_ctl {
    atomic_int mode;      /* FAULT_OFF, FAULT_THREAD (the arming thread), FAULT_ALL */
    atomic_long nth;      /* the allocation to fail, counted from 1 after arming */
    atomic_long seen;     /* allocations counted since arming */
    atomic_long injected; /* failures made since arming (0 or 1) */
    atomic_int trace;     /* print the stack of the failed call (sanitizer builds) */
    /* File I/O faults, counted apart from the allocations, on every thread: the calls of
     * the kinds in io_ops (FAULT_IO_*) made since fault_arm_io, the io_nth of which fails
     * with EIO (write: only to a regular file other than stdout and stderr). */
    atomic_int io_ops;
    atomic_long io_nth, io_seen, io_injected;
    /* When set: allocations a shared library whose file name contains one of these
     * ':'-separated names makes itself (its code calls malloc, directly or through the C
     * library) are neither counted nor failed - a library's own recovery is not the
     * scenario's (sd-bus dropping a message it could not read; libzmq and C++'s operator new
     * abort on any failure). Set while disarmed. */
    char skip_lib[64];
} fault_ctl;

enum { FAULT_IO_WRITE = 1, FAULT_IO_FSYNC = 2, FAULT_IO_RENAME = 4 };

typedef struct fault_result {
    long seen;     /* allocations counted */
    bool injected; /* the Nth happened and failed */
} fault_result;

/* Arm CTL (NULL: this process's own) to fail allocation NTH (LONG_MAX: count only);
 * FAULT_THREAD counts the calling thread's allocations only. */
void fault_arm(fault_ctl *ctl, long nth, int mode);
/* Disarm and say what happened since fault_arm. */
fault_result fault_disarm(fault_ctl *ctl);
/* Arm CTL's file I/O faults: the NTHth call of a kind in OPS (FAULT_IO_*; LONG_MAX: count
 * only) fails with EIO. */
void fault_arm_io(fault_ctl *ctl, int ops, long nth);
fault_result fault_disarm_io(fault_ctl *ctl);
/* This process's control (the mapped file's when preloaded). */
fault_ctl *fault_ctl_own(void);
/* A fault_ctl shared through file PATH (created, sized, zeroed), for a process
 * that preloads the interposer with EDGE_FAULT_CTL=PATH; NULL on failure. */
fault_ctl *fault_ctl_map(const char *path);

/* Which injection points a walk visits when a clean run makes SEEN allocations and at most
 * LIMIT runs are allowed: every allocation up to HEAD, then every STRIDEth (deterministic). */
typedef struct fault_sample {
    long seen, head, stride;
} fault_sample;

fault_sample fault_sample_plan(long seen, long limit);
/* The point after N (the first is 1). */
long fault_sample_next(const fault_sample *s, long n);
/* "all 37" or "1..750 then every 4th, of 3712", for the log. */
void fault_sample_describe(const fault_sample *s, char *buf, size_t size);

#endif
