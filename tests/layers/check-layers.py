#!/usr/bin/env python3
"""tests/layers/check-layers.py - fail when a file includes a header its layer may not see.

Owns: the layer map of the whole tree. libedge's layers (the order meson.build
gives its libraries and docs/architecture.md draws), lowest first:

    api       include/edge/, common/      public headers, header-only helpers
    kernels   kernels/                    reference, portable and SIMD kernels
    core      runtime/ (not interp/)      the verified model, graph, arena plan
    ops       ops/                        decoded options and derivations
    backends  backends/cpu/               the CPU back end
    interp    runtime/interp/             binding, partitions, interpreters

and the programs above it, each of which may include its own folder and the
areas listed in PROGRAMS only:

    backends/vulkan   api, kernels, ops   (the plugin links edge_ops, edge_kernels)
    backends/edgetpu  api                 (links nothing of libedge)
    vision            api
    audio             api
    daemon            api, vision, audio  (never runtime/, runtime/interp/, backends/cpu/)
    client            api, vision, writer (tools/tflite_writer.h: edgectl quantize writes
                      models with the project's .tflite writer, a leaf library, edge_tfw)

Every `#include "..."` of every .c/.h file under those folders is resolved the
way the compiler would (the file's own folder first, then the include folders
its build gives) and must land in an area the file may see: within libedge the
same layer or one below; for a program, its own folder or its allowed areas. An
include that resolves to nothing in the tree (a system header in quotes) is an
error too: it would hide a path the build does not give.

The daemon's own layers: when daemon/layers.txt exists (lines `LAYER: file ...`,
lowest layer first; '#' starts a comment), a daemon file may include headers of
its own layer and the ones below only. A header not listed takes the layer of
the .c of the same name; main.c and gen_confman.c (programs over edged_core)
may include any layer. Without the file that part is skipped, with a note.

Usage: check-layers.py SOURCE_ROOT        exit 1 and one line per violation
       check-layers.py --self-test ROOT   also proves planted back edges fail
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
    "backends": ["backends/cpu"],
    "interp": ["runtime/interp"],
}
# edge_inc (meson.build): what the programs above libedge that get it can resolve
EDGE_INC = [d for n in LAYERS for d in INCLUDE_DIRS[n]] + ["."]
# A program above libedge: the include folders its build gives (after its own
# folder) and the areas (libedge layers or other programs) it may include.
PROGRAMS = {
    "backends/vulkan": (["include", "common", "kernels", "runtime", "ops"],
                        {"api", "kernels", "ops"}),
    "backends/edgetpu": (["include"], {"api"}),
    "vision": (EDGE_INC, {"api"}),
    "audio": (EDGE_INC, {"api"}),
    "daemon": (EDGE_INC + ["vision", "audio"], {"api", "vision", "audio"}),
    "client": (EDGE_INC + ["vision", "tools"], {"api", "vision", "writer"}),
}
TOPS = ("include", "common", "kernels", "runtime", "ops", "backends", "vision", "audio", "daemon",
        "client")
# headers the build generates beside a component's sources
GENERATED = {"backends/vulkan": {"vk_shaders.h"}}
# programs over edged_core, not in it: they may include any of the daemon's layers
DAEMON_TOP = {"main.c", "gen_confman.c"}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def area_of(rel):
    """The libedge layer or program folder a path relative to the root belongs to, or None."""
    if rel == "tools/tflite_writer.h":
        return "writer"
    parts = rel.split("/")
    if parts[0] in ("include", "common"):
        return "api"
    if parts[0] == "kernels":
        return "kernels"
    if parts[0] == "runtime":
        return "interp" if len(parts) > 2 and parts[1] == "interp" else "core"
    if parts[0] == "ops":
        return "ops"
    if parts[0] == "backends" and len(parts) > 2:
        return "backends" if parts[1] == "cpu" else "backends/" + parts[1]
    if parts[0] in ("vision", "audio", "daemon", "client") and len(parts) > 1:
        return parts[0]
    return None


def search_dirs(area, own_dir):
    if area in PROGRAMS:
        return [own_dir] + PROGRAMS[area][0]
    dirs = [own_dir]
    for name in LAYERS[: LAYERS.index(area) + 1]:
        dirs += INCLUDE_DIRS[name]
    return dirs


def sources(root):
    for top in TOPS:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def read_daemon_layers(root):
    """{file name in daemon/: (position, layer)} from daemon/layers.txt, None when absent, or
    a list of problems with the file itself."""
    path = os.path.join(root, "daemon", "layers.txt")
    if not os.path.isfile(path):
        return None
    layers, bad, seen = {}, [], []
    with open(path, encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"^([A-Za-z0-9_-]+)\s*:\s*(.*)$", line)
            if not m:
                bad.append(f"daemon/layers.txt:{no}: not 'LAYER: file ...'")
                continue
            name = m.group(1)
            if name in seen:
                bad.append(f"daemon/layers.txt:{no}: layer {name} named twice")
                continue
            seen.append(name)
            for f in re.split(r"[\s,]+", m.group(2).strip()):
                f = f[len("daemon/"):] if f.startswith("daemon/") else f
                if not f:
                    continue
                if f == "*":  # every daemon file no line lists (a new front end's) is here
                    if "*" in layers:
                        bad.append(f"daemon/layers.txt:{no}: '*' is in layer {layers['*'][1]} "
                                   f"already")
                    else:
                        layers["*"] = (len(seen) - 1, name)
                    continue
                if f in layers:
                    bad.append(f"daemon/layers.txt:{no}: {f} is in layer {layers[f][1]} already")
                elif not os.path.isfile(os.path.join(root, "daemon", f)):
                    bad.append(f"daemon/layers.txt:{no}: {f} is not a file of daemon/")
                else:
                    layers[f] = (len(seen) - 1, name)
    return bad if bad else layers


def daemon_layer(layers, name):
    """(position, layer) of daemon file NAME: listed, or its .c's / .h's, else the layer whose
    line holds '*' (the default), or None."""
    if name in layers:
        return layers[name]
    stem, ext = os.path.splitext(name)
    twin = stem + (".c" if ext == ".h" else ".h")
    return layers.get(twin, layers.get("*"))


def check_daemon_layers(root, layers):
    """Includes between the daemon's own files against daemon/layers.txt."""
    problems = []
    order = " < ".join(n for _, n in sorted(set(layers.values())))
    for f in sorted(os.listdir(os.path.join(root, "daemon"))):
        if not f.endswith((".c", ".h")) or f in DAEMON_TOP:
            continue
        here = daemon_layer(layers, f)
        if here is None:
            problems.append(f"daemon/{f}: in no layer of daemon/layers.txt ({order})")
            continue
        with open(os.path.join(root, "daemon", f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for m in INCLUDE_RE.finditer(text):
            name = m.group(1)
            if "/" in name or not os.path.isfile(os.path.join(root, "daemon", name)):
                continue  # not one of the daemon's own (the tree-wide check judges it)
            there = daemon_layer(layers, name)
            line = text.count("\n", 0, m.start()) + 1
            if there is None:
                problems.append(f"daemon/{f}:{line}: includes {name}, in no layer of "
                                f"daemon/layers.txt")
            elif there[0] > here[0]:
                problems.append(f"daemon/{f}:{line}: {here[1]} includes {name} of the {there[1]} "
                                f"layer above it (daemon/layers.txt: {order})")
    return problems


def resolve(root, area, rel, name):
    for d in search_dirs(area, os.path.dirname(rel)):
        cand = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def judge(rel, area, found):
    """A problem with file REL of AREA including FOUND, or None."""
    there = area_of(found)
    if area in PROGRAMS:
        allowed = PROGRAMS[area][1]
        if there == area or there in allowed:
            return None
        what = f"the {there} layer of libedge" if there in LAYERS else (there or "outside")
        return (f"{rel}: {area} includes {found} of {what}; it may include its own folder and "
                f"{', '.join(sorted(allowed))} only")
    if there is None or there not in LAYERS:
        return f"{rel}: includes {found}, outside libedge"
    if LAYERS.index(there) > LAYERS.index(area):
        return (f"{rel}: {area} includes {found} of the {there} layer above it (order: "
                f"{' < '.join(LAYERS)})")
    return None


def check(root, notes=True):
    problems = []
    for rel in sources(root):
        area = area_of(rel)
        if area is None:
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for m in INCLUDE_RE.finditer(text):
            name = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            found = resolve(root, area, rel, name)
            if found is None:
                if name in GENERATED.get(area, ()):
                    continue
                elsewhere = resolve(root, "daemon", ".", name)  # the widest search there is
                what = f" (it is {elsewhere}, of {area_of(elsewhere)})" if elsewhere else ""
                problems.append(f"{rel}:{line}: \"{name}\"{what} is not in the folders "
                                f"{area}'s build gives ({', '.join(search_dirs(area, '.')[1:])})")
                continue
            bad = judge(rel, area, found)
            if bad:
                problems.append(bad.replace(f"{rel}:", f"{rel}:{line}:", 1))
    layers = read_daemon_layers(root)
    if layers is None:
        if notes:
            print("note: no daemon/layers.txt: the daemon's own layers are not checked")
    elif isinstance(layers, list):
        problems += layers
    else:
        problems += check_daemon_layers(root, layers)
    return problems


def plant(tmp, rel, line):
    with open(os.path.join(tmp, rel), "a", encoding="utf-8") as fh:
        fh.write(f"\n{line}\n")


def self_test(root):
    """Copies of the tree with planted back edges must fail, naming each."""
    # (folder/preferred victim, the line planted, what it is); another .c of the folder stands
    # in when the victim is gone
    cases = [
        ("kernels/ref/requant.c", '#include "model.h"', "kernels -> runtime/model.h"),
        ("backends/vulkan/vk_plugin.c", '#include "model.h"',
         "a plugin -> the runtime's private model.h"),
        ("backends/edgetpu/edgetpu_backend.c", '#include "runtime/model.h"',
         "a plugin -> the runtime's private model.h"),
        ("daemon/main.c", '#include "interp_impl.h"', "the daemon -> an interpreter header"),
        ("client/edgectl.c", '#include "runtime/interp/steps.h"',
         "the client -> an interpreter header"),
        ("vision/detect.c", '#include "backends/cpu/cpu_op.h"', "vision -> the CPU back end"),
    ]
    ok = True
    tmp = tempfile.mkdtemp(prefix="layers-")
    try:
        for top in TOPS:
            shutil.copytree(os.path.join(root, top), os.path.join(tmp, top),
                            ignore=shutil.ignore_patterns("*.spv", "*.o", "*.html", "shaders"))
        for victim, line, what in cases:
            folder, name = os.path.split(victim)
            victims = sorted(f for f in os.listdir(os.path.join(tmp, folder)) if f.endswith(".c"))
            if not victims:
                print(f"self-test: no .c file in {folder} to plant {what} in")
                ok = False
                continue
            rel = folder + "/" + (name if name in victims else victims[0])
            with open(os.path.join(tmp, rel), encoding="utf-8") as fh:
                original = fh.read()
            plant(tmp, rel, line)
            planted = [p for p in check(tmp, notes=False) if p.startswith(rel + ":")]
            with open(os.path.join(tmp, rel), "w", encoding="utf-8") as fh:
                fh.write(original)  # one back edge at a time
            if not planted:
                print(f"self-test: a planted back edge ({what}) was not reported")
                ok = False
            else:
                print(f"self-test: planted back edge ({what}) reported: {planted[0]}")
    finally:
        shutil.rmtree(tmp)
    return self_test_daemon_layers() and ok


def self_test_daemon_layers():
    """A temporary daemon with a layers file: an include going down passes, one going up fails."""
    tmp = tempfile.mkdtemp(prefix="layers-daemon-")
    try:
        d = os.path.join(tmp, "daemon")
        os.makedirs(d)
        files = {
            "layers.txt": "# lowest first\nregistry: registry.c\nrequest: request.c req.h\n"
                          "transport: http.c *\n",
            "registry.c": '#include "req.h"\n',  # registry -> request: up
            "registry.h": "",
            "req.h": '#include "registry.h"\n',  # request -> registry: down
            "request.c": '#include "req.h"\n#include "registry.h"\n',
            "http.c": '#include "req.h"\n',
            "main.c": '#include "http.c"\n',
            # listed nowhere: in the '*' layer (transport), so it may include down, and the
            # request layer including it goes up
            "newfe.h": "",
            "newfe.c": '#include "newfe.h"\n#include "req.h"\n',
            "request_up.c": '#include "newfe.h"\n',
        }
        for name, text in files.items():
            with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
                fh.write(text)
        found = check_daemon_layers(tmp, read_daemon_layers(tmp))
        want = ["daemon/registry.c:1: registry includes req.h of the request layer above it"]
        if len(found) != 1 or not found[0].startswith(want[0]):
            print(f"self-test: daemon/layers.txt: expected exactly '{want[0]}', got {found}")
            return False
        print("self-test: daemon/layers.txt back edge reported: " + found[0])
        # the default layer: request_up.c, listed nowhere, is in it too; list it in request
        with open(os.path.join(d, "layers.txt"), "w", encoding="utf-8") as fh:
            fh.write("registry: registry.c\nrequest: request.c req.h request_up.c\n"
                     "transport: http.c *\n")
        found = check_daemon_layers(tmp, read_daemon_layers(tmp))
        want2 = "daemon/request_up.c:1: request includes newfe.h of the transport layer above it"
        if len(found) != 2 or not any(p.startswith(want2) for p in found):
            print(f"self-test: daemon/layers.txt '*': expected '{want2}', got {found}")
            return False
        print("self-test: a file no line lists is in the '*' layer: " + want2)
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
