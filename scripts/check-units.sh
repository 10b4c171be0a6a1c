#!/usr/bin/env bash
# scripts/check-units.sh - offline checks of edged's systemd units (no systemd
# as PID 1 needed; systemd-analyze 252, /work/shared/TOOLCHAIN.md section 6).
#
#   scripts/check-units.sh [--installed] [--max-exposure TENTHS]
#
# 1. systemd-analyze verify of edged.service and edged.socket. By default the
#    units of packaging/systemd are checked in a staged root (this system's
#    units, the two units, stubs for /usr/sbin/edged and /bin/kill), so that
#    neither edged nor the man pages need to be installed. --installed checks
#    the installed units in / instead (after the Debian package or
#    `meson install`), man pages (Documentation=) included.
#    verify exits 0 on many problems (a bad value or an unknown key is only a
#    warning), so any output fails the check.
# 2. systemd-analyze security --offline=yes of edged.service: the overall
#    exposure must be at most 2.0. --threshold takes the exposure in tenths
#    (systemd 252 fails when exposure x 10 > threshold: a unit scoring 1.5
#    passes --threshold=15 and fails --threshold=14), so 2.0 is --threshold=20;
#    --max-exposure changes it (in tenths).
# 3. edged.service wants edged.socket and is ordered after it, so that starting the
#    service (the postinst, `systemctl enable --now edged`) starts the socket first: a
#    socket started after its service is refused ("Socket service edged.service already
#    active") and socket activation stays off.
# Exits 0 when all pass, 1 otherwise.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
installed=0
threshold=20
while (($#)); do
    case $1 in
    --installed) installed=1 ;;
    --max-exposure) threshold=$2; shift ;;
    -h | --help) sed -n '2,25s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "check-units.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
command -v systemd-analyze >/dev/null || {
    echo "check-units.sh: systemd-analyze is missing (apt-get install -y systemd)" >&2
    exit 1
}
fail=0

# ---- 1. verify
if ((installed)); then
    unitdir=/lib/systemd/system
    [[ -f $unitdir/edged.service ]] || unitdir=/usr/lib/systemd/system
    service=$unitdir/edged.service
    echo "check-units.sh: systemd-analyze verify $unitdir/edged.{service,socket}"
    out=$(cd / && systemd-analyze verify --man=yes "$unitdir/edged.service" \
        "$unitdir/edged.socket" 2>&1) && rc=0 || rc=$?
else
    service=$src/packaging/systemd/edged.service
    root=$(mktemp -d /tmp/edged-units.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/usr/lib/systemd" "$root/usr/sbin" "$root/usr/bin"
    for d in bin sbin lib; do ln -s "usr/$d" "$root/$d"; done
    cp -a /lib/systemd/system "$root/usr/lib/systemd/" # else: Unit sysinit.target not found
    cp "$src/packaging/systemd/edged.service" "$src/packaging/systemd/edged.socket" \
        "$root/usr/lib/systemd/system/"
    printf '#!/bin/sh\nexit 0\n' >"$root/usr/sbin/edged"
    chmod 755 "$root/usr/sbin/edged"
    cp /bin/kill "$root/usr/bin/kill" # ExecReload=/bin/kill must be executable
    echo "check-units.sh: systemd-analyze verify --root=STAGED edged.service edged.socket"
    out=$(systemd-analyze verify --man=no --root="$root" edged.service edged.socket 2>&1) &&
        rc=0 || rc=$?
fi
if ((rc != 0)) || [[ -n $out ]]; then
    printf '%s\n' "$out" >&2
    echo "FAIL verify (exit $rc, $(wc -l <<<"$out") lines of output)" >&2
    fail=1
else
    echo "ok   verify: exit 0, no output"
fi

# ---- 2. security
echo "check-units.sh: systemd-analyze security --offline=yes --threshold=$threshold $service"
out=$(systemd-analyze security --offline=yes --threshold="$threshold" "$service" 2>&1) &&
    rc=0 || rc=$?
level=$(sed -n 's/.*Overall exposure level for [^:]*: *//p' <<<"$out")
if ((rc != 0)) || [[ -z $level ]]; then
    grep -v '^✓' <<<"$out" >&2 || true
    echo "FAIL security: exposure ${level:-unknown} (at most $((threshold / 10)).$((threshold % 10)) allowed; exit $rc)" >&2
    fail=1
else
    grep '^✗' <<<"$out" | sed 's/  */ /g; s/^/     /' || true
    echo "ok   security: exposure $level (at most $((threshold / 10)).$((threshold % 10)) allowed)"
fi
# ---- 3. the service pulls the socket in before itself
unit_list() { # unit_list KEY: the values of KEY= in $service, one a line
    sed -n "s/^$1=//p" "$service" | tr ' ' '\n'
}
if unit_list Wants | grep -qx edged.socket && unit_list After | grep -qx edged.socket; then
    echo "ok   order: edged.service has Wants=edged.socket and After=edged.socket"
else
    echo "FAIL order: edged.service needs Wants=edged.socket and After=edged.socket (else the socket" \
        "started after the service is refused and socket activation stays off)" >&2
    fail=1
fi
exit "$fail"
