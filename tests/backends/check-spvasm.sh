#!/bin/sh
# tests/backends/check-spvasm.sh - the checked-in dot-product kernels are what
# their GLSL sources give.
#
# Owns: regenerating backends/vulkan/shaders/dot_*.spvasm from the *.comp
# kernels with regen-dot.sh, in a copy of the folder, and failing (with the
# diff) when any differs from the file in the tree: a kernel edited without
# rerunning the script would otherwise ship a stale "dot" path.
# Usage: check-spvasm.sh SHADER_DIR
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src" "$tmp/shaders"
sh "$tmp/shaders/regen-dot.sh" >/dev/null
status=0
for f in "$src"/dot_*.spvasm; do
    b=$(basename "$f")
    if ! cmp -s "$f" "$tmp/shaders/$b"; then
        echo "check-spvasm: $b is stale: rerun backends/vulkan/shaders/regen-dot.sh" >&2
        diff -u "$f" "$tmp/shaders/$b" | head -40 >&2
        status=1
    else
        echo "ok   $b"
    fi
done
exit $status
