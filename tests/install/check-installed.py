#!/usr/bin/env python3
"""tests/install/check-installed.py - libedge as installed: its headers, pkg-config file and exports.

Owns: the test that a program outside the tree can use what `meson install` gives. It
installs the build into a temporary DESTDIR (`meson install --destdir`, runtime and devel
tags), then
  - checks that libedge.so exports every function the installed edge/ops.h declares
    (nm -D; the derivations were hidden before, though the header was installed), and
  - compiles use_ops.c with the compiler and pkg-config's --cflags --libs for edge only
    (no include folder of the source tree), runs it against the installed libedge.so,
    and it calls a few of ops.h's functions and checks their results.
Usage: check-installed.py MESON BUILD_DIR PREFIX LIBDIR CC NM SOURCE(use_ops.c) SANITIZE
(CC: the compiler command, words split as a shell does: "ccache cc" where meson found ccache)
       (SANITIZE: the build's b_sanitize; use_ops builds with it, as libedge.so was)
Does not own what is installed (meson.build) or the functions (ops/)."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

DECL_RE = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(edge_\w+)\s*\(", re.M)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p.stdout


def declared(header):
    with open(header, encoding="utf-8") as fh:
        text = fh.read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments
    text = re.sub(r"^\s*#.*$", "", text, flags=re.M)  # preprocessor lines
    return sorted(set(DECL_RE.findall(text)) - {"edge_op_params"})


def main(argv):
    if len(argv) != 8:
        print(__doc__)
        return 2
    meson, build, prefix, libdir, cc, nm, source, sanitize = argv
    sanitize = [] if sanitize in ("", "none") else [f"-fsanitize={sanitize}"]
    tmp = tempfile.mkdtemp(prefix="edge-install-")
    try:
        run([meson, "install", "-C", build, "--no-rebuild", "--quiet", "--destdir", tmp,
             "--tags", "runtime,devel"])
        root = tmp + prefix
        lib = os.path.join(root, libdir) if not os.path.isabs(libdir) else tmp + libdir
        so = os.path.join(lib, "libedge.so")
        header = os.path.join(root, "include", "edge", "ops.h")
        for path in (so, header, os.path.join(lib, "pkgconfig", "edge.pc")):
            if not os.path.exists(path):
                print(f"FAIL: meson install did not install {path[len(tmp):]}")
                return 1
        funcs = declared(header)
        exports = {l.split()[0] for l in run([nm, "-D", "--defined-only", "-P", so]).splitlines()
                   if l.strip()}
        missing = [f for f in funcs if f not in exports]
        print(f"edge/ops.h declares {len(funcs)} functions; libedge.so exports "
              f"{len(funcs) - len(missing)} of them")
        ok = True
        if missing or not funcs:
            print(f"FAIL: not exported from libedge.so: {', '.join(missing) or '(none declared?)'}")
            ok = False
        # the installed edge.pc first; the system's for what it requires (openblas)
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(lib, "pkgconfig"))
        flags = run(["pkg-config", f"--define-variable=prefix={root}", "--cflags", "--libs",
                     "edge"], env=env).split()
        exe = os.path.join(tmp, "use_ops")
        try:
            run([*shlex.split(cc), "-std=gnu11", "-Wall", "-Wextra", "-Werror", *sanitize, source, "-o", exe]
                + flags)
        except RuntimeError as e:
            print(f"FAIL: a program using the installed edge/ops.h does not build:\n{e}")
            return 1
        out = subprocess.run([exe], capture_output=True, text=True,
                             env=dict(os.environ, LD_LIBRARY_PATH=lib))
        print(out.stdout + out.stderr, end="")
        linked = run(["ldd", exe], env=dict(os.environ, LD_LIBRARY_PATH=lib))
        if lib not in linked:
            print(f"FAIL: use_ops did not load the installed libedge.so:\n{linked}")
            ok = False
        return 0 if ok and out.returncode == 0 else 1
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
