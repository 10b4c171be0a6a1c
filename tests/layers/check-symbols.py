#!/usr/bin/env python3
"""tests/layers/check-symbols.py - fail when a libedge layer calls a function of a layer above it.

Owns: the call-level half of the layer check. check-layers.py proves that no file
includes a header of a layer above its own; a declaration written by hand (or one
left in a low header) could still let a low layer call up. This reads the built
static libraries of the layers, lowest first, with `nm`, and fails when a library
needs a symbol that only a library above it defines:

    edge_kernels < edge_core < edge_ops < edge_cpu < libedge (the interpreter's objects)

A symbol defined nowhere in the project (libc, OpenBLAS, libm) is not ours to check.

Usage: check-symbols.py NM LIB...          libraries lowest first; exit 1 and one line per call up
       check-symbols.py --self-test NM LIB...  also proves that a planted call up fails
Does not own the layer order (meson.build); it checks what the link promises."""
import subprocess
import sys


def symbols(nm, lib):
    """(defined, undefined) global symbol names of the static library LIB."""
    out = subprocess.run([nm, "-g", "-P", lib], check=True, capture_output=True, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2 or line.endswith(":"):
            continue  # an archive member's header line
        (undefined if parts[1] in ("U", "w") else defined).add(parts[0])
    return defined, undefined


def calls_up(tables):
    """Lines naming each (library, symbol) whose only definitions are in a library above it.

    TABLES: [(name, defined, undefined)] lowest first."""
    problems = []
    for i, (name, defined, undefined) in enumerate(tables):
        for sym in sorted(undefined - defined):
            if any(sym in d for _, d, _ in tables[: i + 1]):
                continue
            above = [n for n, d, _ in tables[i + 1 :] if sym in d]
            if above:
                problems.append(f"{name} calls {sym}, which only {above[0]} (a layer above) defines")
    return problems


def self_test():
    low = ("low", {"a"}, {"b", "malloc"})
    high = ("high", {"b"}, {"a"})
    if not calls_up([low, high]) or calls_up([("low", {"a"}, {"malloc"}), high]):
        print("self-test: a planted call up was not found, or a clean pair was refused")
        return False
    return True


def main(argv):
    test = argv[:1] == ["--self-test"]
    if test:
        argv = argv[1:]
    if len(argv) < 3:
        print(__doc__)
        return 2
    nm, libs = argv[0], argv[1:]
    tables = []
    for lib in libs:
        defined, undefined = symbols(nm, lib)
        tables.append((lib.rsplit("/", 1)[-1], defined, undefined))
    problems = calls_up(tables)
    for p in problems:
        print(p)
    if test and not self_test():
        return 1
    if not problems:
        print(f"{len(libs)} layers, no call goes up")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
