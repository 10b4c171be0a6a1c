#!/usr/bin/env python3
"""tests/layers/check-layers.py - fail when a libedge file includes a header of a layer above it.

Owns: the layer map of libedge (the order meson.build gives its libraries and
docs/architecture.md draws), lowest first:

    api       include/edge/, common/      public headers, header-only helpers
    kernels   kernels/                    reference, portable and SIMD kernels
    core      runtime/ (not interp/)      the verified model, graph, arena plan
    ops       ops/                        decoded options and derivations
    backends  backends/<name>/            each back end a component of its own
    interp    runtime/interp/             binding, partitions, interpreters

Every `#include "..."` of every .c/.h file under those folders is resolved the
way the compiler would (the file's own folder first, then the include folders
of its layer and the layers below, then the source root, which only programs
above libedge get) and must land in the same layer or one below; within the
back-end layer a back end may not include another's headers. An include that
resolves to nothing in the tree (a system header in quotes) is an error too:
it would hide a path the build does not give.

Usage: check-layers.py SOURCE_ROOT        exit 1 and one line per violation
       check-layers.py --self-test ROOT   also proves a planted back edge fails
Does not own the build's include folders (meson.build) - it checks what they promise."""
import os
import re
import shutil
import sys
import tempfile

LAYERS = ["api", "kernels", "core", "ops", "backends", "interp"]
# include folders each layer's library gets (meson.build: *_inc), lowest first
INCLUDE_DIRS = {
    "api": ["include", "common"],
    "kernels": ["kernels"],
    "core": ["runtime"],
    "ops": ["ops"],
    "backends": [],  # a back end sees its own folder only (the CPU's is interp's too)
    "interp": ["backends/cpu", "runtime/interp"],
}
# headers the build generates beside a component's sources
GENERATED = {"backends/vulkan": {"vk_shaders.h"}}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(rel):
    """(layer, component) of a path relative to the root, or None outside libedge."""
    parts = rel.split("/")
    if parts[0] == "include" or parts[0] == "common":
        return ("api", "api")
    if parts[0] == "kernels":
        return ("kernels", "kernels")
    if parts[0] == "runtime":
        return ("interp", "interp") if len(parts) > 2 and parts[1] == "interp" else ("core", "core")
    if parts[0] == "ops":
        return ("ops", "ops")
    if parts[0] == "backends" and len(parts) > 2:
        return ("backends", "backends/" + parts[1])
    return None


def search_dirs(layer, own_dir):
    dirs = [own_dir]
    for name in LAYERS[: LAYERS.index(layer) + 1]:
        dirs += INCLUDE_DIRS[name]
    return dirs


def sources(root):
    for top in ("include", "common", "kernels", "runtime", "ops", "backends"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def check(root):
    problems = []
    for rel in sources(root):
        here = layer_of(rel)
        if here is None:
            continue
        layer, comp = here
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for m in INCLUDE_RE.finditer(text):
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            found = None
            for d in search_dirs(layer, os.path.dirname(rel)):
                cand = os.path.normpath(os.path.join(d, name))
                if os.path.isfile(os.path.join(root, cand)):
                    found = cand
                    break
            if found is None:
                if name in GENERATED.get(comp, ()):
                    continue
                higher = [os.path.normpath(os.path.join(d, name))
                          for n in LAYERS for d in INCLUDE_DIRS[n] + ["."]]
                higher = [h for h in higher if os.path.isfile(os.path.join(root, h))]
                if higher:
                    there = layer_of(higher[0])
                    what = f"the {there[0]} layer" if there else "outside libedge"
                    problems.append(f"{rel}:{line}: {layer} includes \"{name}\" = {higher[0]} "
                                    f"of {what}, which its build does not give (order: "
                                    f"{' < '.join(LAYERS)})")
                else:
                    problems.append(f"{rel}:{line}: \"{name}\" is not in the {layer} layer or "
                                    f"below (include folders: {', '.join(search_dirs(layer, '.')[1:])})")
                continue
            there = layer_of(found)
            if there is None:
                problems.append(f"{rel}:{line}: includes {found}, outside libedge")
                continue
            if LAYERS.index(there[0]) > LAYERS.index(layer):
                problems.append(f"{rel}:{line}: {layer} includes {found} of the {there[0]} layer "
                                f"above it (order: {' < '.join(LAYERS)})")
            elif there[0] == "backends" == layer and there[1] != comp:
                problems.append(f"{rel}:{line}: {comp} includes {found} of {there[1]}: back ends "
                                f"do not see each other")
    return problems


def self_test(root):
    """A copy of the tree with one planted back edge must fail, naming it."""
    tmp = tempfile.mkdtemp(prefix="layers-")
    try:
        for top in ("include", "common", "kernels", "runtime", "ops", "backends"):
            shutil.copytree(os.path.join(root, top), os.path.join(tmp, top),
                            ignore=shutil.ignore_patterns("*.spv", "*.o"))
        victim = os.path.join(tmp, "kernels", "ref", "requant.c")
        with open(victim, "a", encoding="utf-8") as fh:
            fh.write('\n#include "model.h"\n')
        found = check(tmp)
        planted = [p for p in found if p.startswith("kernels/ref/requant.c:")]
        if not planted:
            print("self-test: a planted back edge (kernels -> runtime/model.h) was not reported")
            return False
        print("self-test: planted back edge reported: " + planted[0])
        return True
    finally:
        shutil.rmtree(tmp)


def main(argv):
    args = [a for a in argv[1:] if a != "--self-test"]
    if len(args) != 1:
        print(__doc__.split("\n\n")[0])
        return 2
    root = args[0]
    problems = check(root)
    for p in problems:
        print(p)
    ok = not problems
    if "--self-test" in argv:
        ok = self_test(root) and ok
    n = sum(1 for _ in sources(root))
    print(f"{n} files checked, {len(problems)} include(s) against the layer order")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
