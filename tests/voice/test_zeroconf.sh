#!/usr/bin/env bash
# tests/voice/test_zeroconf.sh - [wyoming] zeroconf: the Wyoming server advertised as
# _wyoming._tcp through a real avahi-daemon on a private system-like bus.
#
#   test_zeroconf.sh EDGED
#
# Starts a private dbus-daemon (a system bus on a Unix socket here, every call allowed) and an
# avahi-daemon on it (DBUS_SYSTEM_BUS_ADDRESS; only the loopback interface; in its own mount
# namespace when `unshare -m` works, so its pid file does not meet a system avahi-daemon's),
# then edged with [wyoming] listen = 127.0.0.1:PORT and zeroconf = yes (a loopback address is
# advertised only with yes). With avahi-browse (a real avahi client) on the same bus:
#   - the service appears with its name and port;
#   - a name already taken (avahi-publish) makes edged take avahi's next name ("NAME #2");
#   - avahi-daemon restarted: edged registers it again; the bus restarted: edged reconnects
#     and registers it again;
#   - edged stopped: the service is gone;
#   - zeroconf = yes without avahi-daemon: a warning, the server still answers describe;
#     zeroconf = auto on a loopback address: not advertised (one info line), still serving.
# Needs root (avahi-daemon --no-drop-root writes /run/avahi-daemon), dbus-daemon, avahi-daemon
# and avahi-utils (scripts/install-deps.sh installs them); exits 77 (skipped) otherwise.
# Everything it starts is stopped on exit.
set -uo pipefail
EDGED=$1
for t in dbus-daemon avahi-daemon avahi-browse avahi-publish python3; do
    command -v $t >/dev/null || { echo "SKIP: needs $t (avahi-daemon, avahi-utils, dbus-daemon)"; exit 77; }
done
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (avahi-daemon's /run/avahi-daemon)"; exit 77; }
dir=$(mktemp -d /tmp/edged-zc.XXXXXX)
declare -A pid=()
cleanup() {
    for k in "${!pid[@]}"; do kill "${pid[$k]}" 2>/dev/null; wait "${pid[$k]}" 2>/dev/null; done
    [[ -n "${EDGED_TEST_KEEP:-}" ]] || rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
# wait_for SECONDS COMMAND...: until COMMAND succeeds (a loaded machine: no fixed sleeps)
wait_for() {
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < end)) || return 1
        sleep 0.05
    done
}
stop() { # stop NAME: SIGTERM and wait
    [[ -n "${pid[$1]:-}" ]] || return 0
    kill "${pid[$1]}" 2>/dev/null
    wait "${pid[$1]}" 2>/dev/null
    unset "pid[$1]"
}

cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
start_bus() {
    rm -f "$dir/bus"
    dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile --print-address=1 \
        >"$dir/address" 2>"$dir/bus.log" &
    pid[bus]=$!
    wait_for 60 test -S "$dir/bus" || { echo "FAIL dbus-daemon did not start: $(cat "$dir/bus.log")"; exit 1; }
}
start_bus
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus"

cat >"$dir/avahi.conf" <<EOF
[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
enable-dbus=yes
[publish]
publish-hinfo=no
publish-workstation=no
[rlimits]
EOF
ns=()
unshare -m true 2>/dev/null && ns=(unshare -m sh -c 'mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec "$0" "$@"')
n_avahi=0
start_avahi() {
    n_avahi=$((n_avahi + 1))
    "${ns[@]}" avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title \
        -f "$dir/avahi.conf" >"$dir/avahi$n_avahi.log" 2>&1 &
    pid[avahi]=$!
    wait_for 60 grep -q "Server startup complete" "$dir/avahi$n_avahi.log" ||
        { echo "FAIL avahi-daemon did not start:"; cat "$dir/avahi$n_avahi.log"; exit 1; }
}
# browse: the resolved _wyoming._tcp services on the private bus, "NAME;PORT" a line (a
# removal, "-", after a resolution from avahi's cache takes it away)
browse() {
    avahi-browse -r -t -p --no-db-lookup _wyoming._tcp 2>/dev/null |
        awk -F';' '$1 == "=" { s[$4] = $9 } $1 == "-" { delete s[$4] }
                   END { for (k in s) print k ";" s[k] }' | sort
}
has_service() { browse | grep -qxF "$1"; }
no_service() { ! browse | grep -q "^$1;"; }
# describe PORT: the server answers describe with info
describe() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(b'{"type": "describe"}\n')
line = s.makefile("rb").readline()
sys.exit(0 if b'"info"' in line else 1)
EOF
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$dir/models" "$dir/wake"
n_edged=0
# start_edged ZEROCONF: edged with [wyoming] on a new port ($port), log $dir/edgedN.log
start_edged() {
    n_edged=$((n_edged + 1))
    port=$(free_port)
    log="$dir/edged$n_edged.log"
    printf '[dbus]\nbus = none\n[wyoming]\nlisten = 127.0.0.1:%s\nmodels = %s\nzeroconf = %s\nzeroconf_name = %s\n' \
        "$port" "$dir/wake" "$1" "$name" >"$dir/edged$n_edged.conf"
    "$EDGED" --config "$dir/edged$n_edged.conf" --socket "$dir/edged$n_edged.sock" \
        --models "$dir/models" -w 1 >"$log" 2>&1 &
    pid[edged]=$!
    wait_for 60 grep -qs "wyoming: .* wake words of" "$log" ||
        { echo "FAIL edged did not start:"; cat "$log"; exit 1; }
}
name="edged zc $$"
start_avahi
# a service of that name already there: edged must take avahi's next name
avahi-publish -s "$name" _wyoming._tcp 9 >"$dir/publish.log" 2>&1 &
pid[publish]=$!
wait_for 60 grep -q "Established" "$dir/publish.log" || { echo "FAIL avahi-publish:"; cat "$dir/publish.log"; exit 1; }

start_edged yes
if wait_for 60 grep -q "advertising \"$name #2\" (_wyoming._tcp) on port $port" "$log"; then
    ok "edged renamed on the collision and advertised \"$name #2\" on port $port"
else
    bad "no advertising line for \"$name #2\":"; cat "$log"
fi
# avahi-browse -p escapes the space and # as \032 and \035
esc() { sed -e 's/ /\\032/g' -e 's/#/\\035/g' <<<"$1"; }
if wait_for 30 has_service "$(esc "$name #2");$port"; then
    ok "avahi-browse resolves \"$name #2\" at port $port"
else
    bad "avahi-browse does not list \"$name #2\";$port: $(browse | tr '\n' ' ')"
fi
stop publish

# avahi-daemon restarts: edged registers again
stop avahi
wait_for 30 grep -q "avahi-daemon left the system bus" "$log" && ok "edged saw avahi-daemon go" ||
    bad "edged did not log avahi-daemon leaving"
start_avahi
if wait_for 60 grep -q "avahi-daemon is on the system bus" "$log" &&
    wait_for 30 has_service "$(esc "$name");$port"; then
    ok "after avahi-daemon's restart: \"$name\" advertised again on port $port"
else
    bad "not registered again after avahi-daemon's restart: $(browse | tr '\n' ' ')"; cat "$log"
fi
describe "$port" && ok "the server answers describe" || bad "no info for describe"

# the system bus itself restarts (avahi-daemon with it): edged reconnects and registers again
stop avahi
stop bus
start_bus
start_avahi
reconnected() { grep -A1000 "bus connection failed" "$log" | grep -q "connected to the system bus"; }
if wait_for 60 reconnected &&
    wait_for 30 has_service "$(esc "$name");$port"; then
    ok "after the bus restarted: reconnected, \"$name\" advertised again"
else
    bad "not advertised again after the bus restarted: $(browse | tr '\n' ' ')"; cat "$log"
fi

# edged stops: the service goes
stop edged
grep -q "withdrawn" "$log" && ok "edged withdrew the service at stop" || bad "no withdrawn line"
if wait_for 30 no_service "$(esc "$name")"; then
    ok "after edged stopped: \"$name\" is gone"
else
    bad "still listed after edged stopped: $(browse | tr '\n' ' ')"
fi

# zeroconf = auto on a loopback address: not advertised, serving
start_edged auto
wait_for 30 grep -q "is a loopback address: not advertised" "$log" && ok "auto skips a loopback listen address" ||
    { bad "auto: no loopback line"; cat "$log"; }
describe "$port" && ok "auto: the server answers describe" || bad "auto: no info for describe"
no_service "$(esc "$name")" && ok "auto: not advertised" || bad "auto: advertised a loopback address"
stop edged

# no avahi-daemon on the bus: yes warns, the server serves
stop avahi
start_edged yes
wait_for 30 grep -q "avahi-daemon is not on the system bus" "$log" && ok "yes without avahi-daemon: warned" ||
    { bad "yes without avahi-daemon: no warning"; cat "$log"; }
grep "avahi-daemon is not on the system bus" "$log" | grep -q "^<4>" && ok "  at warning level (<4>)" || bad "not a warning: $(grep avahi "$log")"
describe "$port" && ok "without avahi-daemon: the server answers describe" || bad "without avahi-daemon: no info"
stop edged
if ((fails)); then
    echo "$fails failed"
    exit 1
fi
echo "all passed"
