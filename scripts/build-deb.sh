#!/usr/bin/env bash
# scripts/build-deb.sh - build the edged Debian package and check it with lintian.
#
#   scripts/build-deb.sh [--out DIR] [--install-deps] [--install-test] [--keep]
#
# dpkg-buildpackage wants debian/ at the top of the source tree, and the tree
# keeps it in packaging/debian: so this copies the source (the files git knows
# plus new ones it does not ignore; without git every file but build*/, dist/
# and .git), puts packaging/debian there as debian/, runs
# `dpkg-buildpackage -b -us -uc`, copies the .deb, .changes and .buildinfo to
# DIR (default ./dist), and runs lintian on the .changes: any lintian error
# fails the build; warnings and info tags are printed.
#
#   --install-deps  apt-get install the missing build dependencies first
#   --install-test  then install the package, check it and purge it again
#                   (scripts/test-deb.sh DIR; root only)
#   --keep          keep the temporary build tree (its path is printed)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/dist
install_deps=0 install_test=0 keep=0
while (($#)); do
    case $1 in
    --out) out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    --install-deps) install_deps=1 ;;
    --install-test) install_test=1 ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in dpkg-buildpackage dh lintian fakeroot; do
    command -v "$tool" >/dev/null || {
        echo "build-deb.sh: $tool is missing: apt-get install -y dpkg-dev debhelper lintian fakeroot" >&2
        exit 1
    }
done

version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
upstream=${version%-*}
work=$(mktemp -d /tmp/edged-deb.XXXXXX)
if ((keep)); then
    echo "build-deb.sh: build tree kept in $work"
else
    trap 'rm -rf "$work"' EXIT
fi
tree=$work/edged-$upstream

# ---- copy the source
mkdir -p "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked files that still exist, and untracked ones .gitignore does not hide.
    git -C "$src" ls-files -z --cached --others --exclude-standard |
        (cd "$src" && while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done) |
        (cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$tree"
else
    tar -C "$src" --exclude='./build*' --exclude=./dist --exclude=./.git -cf - . | tar -xf - -C "$tree"
fi
rm -rf "$tree/debian"
cp -a "$tree/packaging/debian" "$tree/debian"

# ---- build dependencies
if ! missing=$(cd "$tree" && dpkg-checkbuilddeps 2>&1); then
    pkgs=$(sed -n 's/.*Unmet build dependencies: //p' <<<"$missing" |
        sed -e 's/([^)]*)//g' -e 's/|[^ ]*//g' -e 's/:any//g')
    if ((install_deps)) && [[ -n $pkgs ]]; then
        sudo=; ((EUID == 0)) || sudo=sudo
        # shellcheck disable=SC2086
        $sudo apt-get install -y --no-install-recommends $pkgs
    else
        echo "build-deb.sh: missing build dependencies: ${pkgs:-$missing}" >&2
        echo "  apt-get install -y $pkgs   (or rerun with --install-deps)" >&2
        exit 1
    fi
fi

# ---- build
echo "build-deb.sh: building edged $version in $tree"
start=$(date +%s)
log=$work/dpkg-buildpackage.log
if ! (cd "$tree" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "build-deb.sh: dpkg-buildpackage failed (full log: $log; --keep keeps it)" >&2
    exit 1
fi
echo "build-deb.sh: dpkg-buildpackage took $(($(date +%s) - start)) s"

shopt -s nullglob
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
changes=$work/edged_${version}_${arch}.changes
artifacts=("$work"/*.deb "$work"/*.ddeb "$work"/*.buildinfo "$changes")
cp "${artifacts[@]}" "$out/"
ls -l "$out"/edged_"$version"_*

# ---- lintian: errors fail, the rest is printed
echo "build-deb.sh: lintian $(basename "$changes")"
lint_rc=0
lintian --fail-on error --display-info --tag-display-limit 0 "$out/$(basename "$changes")" ||
    lint_rc=$?
if ((lint_rc != 0)); then
    echo "build-deb.sh: lintian reported errors (exit $lint_rc)" >&2
    exit 1
fi
echo "build-deb.sh: lintian: no errors"

if ((install_test)); then
    "$src/scripts/test-deb.sh" "$out"
fi
