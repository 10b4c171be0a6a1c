#!/usr/bin/env python3
"""tests/layers/check-symbols.py - fail when code calls a function its layer may not call.

Owns: the call-level half of the layer check. check-layers.py proves that no file
includes a header its layer may not see; a declaration written by hand (or one
left in a low header) could still let code call up. This reads the built objects
with `nm` and fails on:

  - a libedge layer needing a symbol that only a library above it defines
        edge_kernels < edge_core < edge_ops < edge_cpu < libedge (the interpreter's objects)
  - a program above libedge (--above: the daemon's edged_core and main, edgectl,
    vision, given as static libraries, object folders or plugins) needing a libedge
    symbol that libedge.so (--public) does not export: only the public API (and
    common/'s helpers, which every program may link) is theirs to call; a plugin
    (a .so) needs no libedge symbol at all, since edged exports none to it
  - when daemon/layers.txt exists (--daemon-layers FILE ARCHIVE: lines `LAYER: file
    ...`, lowest first), an object of edged_core needing a symbol that only a layer
    above its own defines (objects not listed - common/'s, the generated page - are
    a group below every layer). Without the file that part is skipped, with a note.

A symbol defined nowhere in the project (libc, OpenBLAS, libm) is not ours to check.

Usage: check-symbols.py [--self-test] NM LIB... [--public SO] [--above FILE]...
                        [--daemon-layers LAYERS_TXT ARCHIVE]
       libraries lowest first; exit 1 and one line per call up; --self-test also
       proves that planted calls up fail
Does not own the layer order (meson.build, daemon/layers.txt); it checks what the link promises."""
import os
import re
import subprocess
import sys
import tempfile


def nm_lines(nm, path, extra=()):
    files = ([os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith(".o")]
             if os.path.isdir(path) else [path])
    if not files:
        return []
    out = subprocess.run([nm, "-g", "-P", "-A", *extra, *files], check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


def member_of(line):
    """(member or file name, symbol, kind) of one `nm -A -P` line, or None."""
    m = re.match(r"^(.*?)(?:\[([^\]]+)\])?:\s+(\S+)\s+(\S+)", line)
    if not m:
        return None
    member = m.group(2) or m.group(1)
    return os.path.basename(member), m.group(3), m.group(4)


def symbols_by_member(nm, path):
    """{member: (defined, undefined)} of the static library, object folder or object PATH."""
    table = {}
    for line in nm_lines(nm, path):
        got = member_of(line)
        if not got:
            continue
        member, sym, kind = got
        defined, undefined = table.setdefault(member, (set(), set()))
        (undefined if kind in ("U", "w") else defined).add(sym)
    return table


def symbols(nm, path):
    """(defined, undefined) global symbol names of PATH, all its members together."""
    defined, undefined = set(), set()
    for d, u in symbols_by_member(nm, path).values():
        defined |= d
        undefined |= u
    return defined, undefined


def dynamic_exports(nm, so):
    out = subprocess.run([nm, "-D", "--defined-only", "-P", so], check=True,
                         capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.split()}


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


def calls_private(name, undefined, libedge, public, plugin):
    """Lines naming each libedge symbol program NAME needs that it may not call.

    LIBEDGE: every symbol libedge's libraries define but common/'s; PUBLIC: libedge.so's exports."""
    problems = []
    for sym in sorted(undefined & libedge):
        if plugin:
            problems.append(f"{name} (a plugin) needs libedge's {sym}: edged exports no libedge "
                            f"symbol to plugins (link what you need, as edge-vulkan links edge_ops)")
        elif sym not in public:
            problems.append(f"{name} calls {sym}, libedge's own (not exported from libedge.so): "
                            f"programs above libedge call its public API only")
    return problems


def read_layers(path):
    """[(layer, {file})] of a daemon/layers.txt, lowest first."""
    layers = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            m = re.match(r"^([A-Za-z0-9_-]+)\s*:\s*(.*)$", line)
            if m:
                files = {f[len("daemon/"):] if f.startswith("daemon/") else f
                         for f in re.split(r"[\s,]+", m.group(2).strip()) if f}
                layers.append((m.group(1), files))
    return layers


def daemon_tables(layers, members, folder=None):
    """[(layer, defined, undefined)] lowest first, from MEMBERS {object name: (def, undef)};
    an object of a daemon/ source file no line lists is in the layer whose line holds '*'
    (FOLDER: daemon/); any other (common/'s, generated ones) in a group below the first."""
    where = {f: i for i, (_, files) in enumerate(layers) for f in files}
    default = where.pop("*", None)  # the layer of every file no line lists
    groups = [("(objects in no layer)", set(), set())] + [(n, set(), set()) for n, _ in layers]
    for member, (d, u) in members.items():
        source = member[:-2] if member.endswith(".o") else member
        at = where.get(source)
        if at is None and folder and os.path.isfile(os.path.join(folder, source)):
            at = default  # a daemon source file (not common/'s, not a generated one)
        g = groups[at + 1] if at is not None else groups[0]
        g[1].update(d)
        g[2].update(u)
    return [(f"daemon layer {n}" if i else n, d, u) for i, (n, d, u) in enumerate(groups)]


def self_test():
    low = ("low", {"a"}, {"b", "malloc"})
    high = ("high", {"b"}, {"a"})
    if not calls_up([low, high]) or calls_up([("low", {"a"}, {"malloc"}), high]):
        print("self-test: a planted call up was not found, or a clean pair was refused")
        return False
    lib, public = {"edge_model_open", "edge__graph_build"}, {"edge_model_open"}
    if (not calls_private("edged", {"edge__graph_build", "free"}, lib, public, False)
            or calls_private("edged", {"edge_model_open", "free"}, lib, public, False)
            or not calls_private("edge-x.so", {"edge_model_open"}, lib, public, True)):
        print("self-test: a program calling libedge's own function (or a plugin calling any) "
              "was not found, or a clean program was refused")
        return False
    with tempfile.NamedTemporaryFile("w", suffix="-layers.txt", delete=False) as fh:
        fh.write("# lowest first\nregistry: registry.c\nrequest: request.c, req.h\n"
                 "transport: daemon/http.c\n")
    try:
        layers = read_layers(fh.name)
    finally:
        os.unlink(fh.name)
    members = {"registry.c.o": ({"reg_get"}, {"req_parse"}),  # registry -> request: up
               "request.c.o": ({"req_parse"}, {"reg_get", "jw_begin"}),
               "http.c.o": (set(), {"req_parse"}),
               "common_jsonw.c.o": ({"jw_begin"}, set())}
    found = calls_up(daemon_tables(layers, members))
    if found != ["daemon layer registry calls req_parse, which only daemon layer request (a layer "
                 "above) defines"]:
        print(f"self-test: a temporary daemon/layers.txt: expected one call up, found {found}")
        return False
    print("self-test: planted calls up reported (libedge layers, programs, daemon layers)")
    return True


def parse(argv):
    opts = {"test": False, "public": None, "above": [], "daemon": None, "nm": None, "libs": []}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--self-test":
            opts["test"] = True
        elif a == "--public":
            opts["public"] = argv[i + 1]
            i += 1
        elif a == "--above":
            opts["above"].append(argv[i + 1])
            i += 1
        elif a == "--daemon-layers":
            opts["daemon"] = (argv[i + 1], argv[i + 2])
            i += 2
        elif opts["nm"] is None:
            opts["nm"] = a
        else:
            opts["libs"].append(a)
        i += 1
    return opts


def main(argv):
    try:
        o = parse(argv)
    except IndexError:
        o = None
    if not o or not o["nm"] or len(o["libs"]) < 2 or (o["above"] and not o["public"]):
        print(__doc__)
        return 2
    nm = o["nm"]
    tables = []
    libedge = set()
    for lib in o["libs"]:
        members = symbols_by_member(nm, lib)
        defined = set().union(*(d for d, _ in members.values()))
        undefined = set().union(*(u for _, u in members.values()))
        tables.append((lib.rsplit("/", 1)[-1], defined, undefined))
        for member, (d, _) in members.items():
            if not member.startswith(("common_", ".._common_")):
                libedge |= d
    problems = calls_up(tables)
    if o["above"]:
        public = dynamic_exports(nm, o["public"])
        for path in o["above"]:
            plugin = path.endswith(".so")
            _, undefined = symbols(nm, path) if not plugin else (None, dynamic_undefined(nm, path))
            problems += calls_private(path.rsplit("/", 1)[-1], undefined, libedge, public, plugin)
    if o["daemon"]:
        layers_txt, archive = o["daemon"]
        if os.path.isfile(layers_txt):
            problems += calls_up(daemon_tables(read_layers(layers_txt),
                                               symbols_by_member(nm, archive),
                                               os.path.dirname(layers_txt)))
        else:
            print(f"note: no {layers_txt}: the daemon's own layers are not checked")
    for p in problems:
        print(p)
    if o["test"] and not self_test():
        return 1
    if not problems:
        print(f"{len(o['libs'])} libedge layers, {len(o['above'])} programs above"
              f"{', the daemon layers' if o['daemon'] and os.path.isfile(o['daemon'][0]) else ''}:"
              f" no call goes up")
    return 1 if problems else 0


def dynamic_undefined(nm, so):
    out = subprocess.run([nm, "-D", "--undefined-only", "-P", so], check=True,
                         capture_output=True, text=True).stdout
    return {line.split()[0].split("@")[0] for line in out.splitlines() if line.split()}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
