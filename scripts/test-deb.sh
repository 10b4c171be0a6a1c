#!/usr/bin/env bash
# scripts/test-deb.sh - install the built edged package, check it, purge it.
#
#   scripts/test-deb.sh [DIR]        (DIR: where build-deb.sh put it, default ./dist)
#
# Needs root (or sudo). Installs DIR/edged_*.deb and DIR/edged-vulkan_*.deb
# (the Vulkan back end's own package) with apt-get (which pulls in their
# dependencies), checks that edged alone needs no Vulkan loader, that the files
# are where the packages say
# (explicit package paths: a `meson install` may have put other copies in
# /usr/local), that edged and edgectl run, that the user edged exists and the
# units pass scripts/check-units.sh against the installed files, then purges
# the package. A user edged that did not exist before is removed again, so
# the machine is left as it was (so are /var/lib/edged and /run/edged when
# they are empty). Without systemd as PID 1 (a container) the
# maintainer scripts skip starting the service (deb-systemd-invoke).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$src/dist}
sudo=; ((EUID == 0)) || sudo=sudo

shopt -s nullglob
debs=("$dir"/edged_*.deb)
((${#debs[@]} == 1)) || {
    echo "test-deb.sh: expected one edged_*.deb in $dir, found ${#debs[@]}" >&2
    exit 1
}
deb=$(cd "$(dirname "${debs[0]}")" && pwd)/$(basename "${debs[0]}")
vdebs=("$dir"/edged-vulkan_*.deb)
((${#vdebs[@]} == 1)) || {
    echo "test-deb.sh: expected one edged-vulkan_*.deb in $dir, found ${#vdebs[@]}" >&2
    exit 1
}
vdeb=$(cd "$(dirname "${vdebs[0]}")" && pwd)/$(basename "${vdebs[0]}")

if dpkg -s edged >/dev/null 2>&1; then
    echo "test-deb.sh: edged is already installed as a package; not touching it" >&2
    exit 1
fi
had_user=0
getent passwd edged >/dev/null && had_user=1
had_group=0
getent group edged >/dev/null && had_group=1
# Folders the package's tmpfiles.d creates and a purge leaves (the repository
# may hold an administrator's models): removed again if this test made them
# and they are still empty.
new_dirs=()
for d in /var/lib/edged /run/edged; do [[ -e $d ]] || new_dirs+=("$d"); done

cleanup() {
    if dpkg -s edged >/dev/null 2>&1; then
        echo "test-deb.sh: purging edged and edged-vulkan"
        $sudo apt-get purge -y edged edged-vulkan >/dev/null
    fi
    for d in "${new_dirs[@]}"; do
        [[ -d $d/models ]] && { $sudo rmdir "$d/models" 2>/dev/null || true; }
        [[ -d $d ]] && { $sudo rmdir "$d" 2>/dev/null || true; }
    done
    if ((!had_user)) && getent passwd edged >/dev/null; then $sudo userdel edged; fi
    if ((!had_group)) && getent group edged >/dev/null; then $sudo groupdel edged; fi
}
trap cleanup EXIT

fail=0
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then
        echo "ok   $what"
    else
        echo "FAIL $what" >&2
        fail=1
    fi
}

check "edged does not depend on the Vulkan loader or Mesa (edged-vulkan does)" sh -c \
    "! dpkg-deb -f '$deb' Depends Recommends | grep -Eq 'libvulkan|mesa' &&
       dpkg-deb -f '$vdeb' Depends | grep -q libvulkan1"
echo "test-deb.sh: installing $deb and $vdeb"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" "$vdeb"

# /lib is a symlink to /usr/lib on Debian 12 (merged /usr): both name one file.
for f in /usr/sbin/edged /usr/bin/edgectl \
    /lib/systemd/system/edged.service /lib/systemd/system/edged.socket \
    /usr/share/dbus-1/system.d/org.edged.Edged1.conf \
    /usr/lib/sysusers.d/edged.conf /usr/lib/tmpfiles.d/edged.conf \
    /etc/edged/edged.conf \
    /usr/share/man/man8/edged.8.gz /usr/share/man/man1/edgectl.1.gz /usr/share/man/man5/edged.conf.5.gz; do
    check "file $f" test -f "$f"
done
check "dpkg -L lists the units" sh -c 'dpkg -L edged | grep -qx /lib/systemd/system/edged.service'
check "/etc/edged/edged.conf is a conffile" sh -c 'dpkg-query -W -f="\${Conffiles}" edged | grep -q " /etc/edged/edged.conf "'
check "no shared library, header or .pc in the package (back-end plugins apart)" sh -c \
    '! dpkg -L edged | grep -v "^/usr/lib/[^/]*/edged/backends/edge-[a-z0-9_-]*\.so$" | grep -E "\.so(\.[0-9]+)*$|/include/|\.pc$"'
for pb in edged:edgetpu edged-vulkan:vulkan; do
    p=${pb%%:*} b=${pb#*:}
    check "back-end plugin edge-$b.so in /usr/lib/<arch>/edged/backends (package $p)" \
        sh -c "dpkg -L $p | grep -q '^/usr/lib/[^/]*/edged/backends/edge-$b\.so\$'"
done
check "edge-vulkan.so is not in package edged" sh -c "! dpkg -L edged | grep -q 'edge-vulkan\.so'"
# edgectl finds the plugins in the default folder: naming one loads it (the empty "model"
# is refused afterwards, by the loader, not by the plugin lookup)
for b in vulkan edgetpu; do
    check "edgectl loads edge-$b.so from the default folder" sh -c \
        "out=\$(/usr/bin/edgectl inspect /dev/null --backend $b 2>&1); ! echo \"\$out\" | grep -q 'cannot load the plugin' && echo \"\$out\" | grep -q '/dev/null'"
done
check "edged --version" /usr/sbin/edged --version
echo "     $(/usr/sbin/edged --version)"
check "edged --help" /usr/sbin/edged --help
check "edgectl --help" /usr/bin/edgectl --help
check "edgectl --version" /usr/bin/edgectl --version
check "edged --print-config with the packaged config" \
    /usr/sbin/edged --config /etc/edged/edged.conf --print-config
check "user edged exists (id edged)" id edged
echo "     $(id edged)"
check "user edged: home /var/lib/edged, nologin" \
    sh -c 'getent passwd edged | grep -q ":/var/lib/edged:/usr/sbin/nologin$"'
check "/var/lib/edged/models owned by edged:edged 0750" \
    sh -c '[ "$(stat -c %U:%G:%a /var/lib/edged/models)" = edged:edged:750 ]'
check "D-Bus policy is well-formed XML" xmllint --noout /usr/share/dbus-1/system.d/org.edged.Edged1.conf
check "man pages render without warnings" sh -c \
    'for p in /usr/share/man/man8/edged.8.gz /usr/share/man/man1/edgectl.1.gz /usr/share/man/man5/edged.conf.5.gz; do
         out=$(LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null)
         [ -z "$out" ] || { echo "$out"; exit 1; }
     done'
if "$src/scripts/check-units.sh" --installed; then
    echo "ok   scripts/check-units.sh --installed"
else
    echo "FAIL scripts/check-units.sh --installed" >&2
    fail=1
fi

if ((fail)); then
    echo "test-deb.sh: some checks failed" >&2
    exit 1
fi
echo "test-deb.sh: all checks passed; purging"
