#!/usr/bin/env bash
# tests/integration/test_dbus_policy.sh - the D-Bus policy file, enforced by a real dbus-daemon.
#
#   test_dbus_policy.sh EDGED EDGE_MKMODEL POLICY
#
# Starts a private dbus-daemon configured like Debian's system bus (deny by default)
# that includes POLICY (packaging/dbus/org.edged.Edged1.conf), and edged on it serving
# the generated digits model. Then, with busctl as a real client:
#   - as an unprivileged user (nobody, no groups): introspection, Get/GetAll, ListModels
#     and GetStats are allowed; LoadModel, UnloadModel, ReloadModel, Reload, Infer and
#     Properties.Set are refused with AccessDenied; owning the name is refused;
#   - as root: the mutating methods are allowed;
#   - members of group edged (nobody with that supplementary group) may call them. When the
#     machine has no group edged (the package creates it), the test creates a system group
#     edged for its run (groupadd) and deletes it on exit.
# Needs root (to switch users with setpriv); exits 77 (skipped) otherwise.
# Everything it starts (and the group it created) is stopped or removed on exit.
set -uo pipefail
EDGED=$1 MKMODEL=$2 POLICY=$(realpath "$3")
if [[ $(id -u) -ne 0 ]] || ! command -v setpriv >/dev/null || ! command -v dbus-daemon >/dev/null ||
    ! command -v busctl >/dev/null; then
    echo "SKIP: needs root, setpriv, dbus-daemon and busctl"
    exit 77
fi
dir=$(mktemp -d /tmp/edged-policy.XXXXXX)
chmod 755 "$dir"
pids=()
made_group=0
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    ((made_group)) && groupdel edged 2>/dev/null
    [[ -n "${EDGED_TEST_KEEP:-}" ]] || rm -rf "$dir"
}
trap cleanup EXIT
# dbus-daemon resolves the policy's group="edged" when it reads its configuration
if ! getent group edged >/dev/null && command -v groupadd >/dev/null; then
    groupadd --system edged && made_group=1 && echo "note: created the system group edged for this run"
fi
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>$POLICY</include>
</busconfig>
EOF
chmod 644 "$dir/bus.conf"
dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile --print-address=1 \
    >"$dir/address" 2>"$dir/bus.log" &
pids+=($!)
# wait for conditions, up to a minute (a loaded machine), not a fixed time
for _ in $(seq 1200); do [[ -s "$dir/address" ]] && break; sleep 0.05; done
addr="unix:path=$dir/bus"
[[ -S "$dir/bus" ]] || { echo "FAIL dbus-daemon did not start: $(cat "$dir/bus.log")"; exit 1; }

mkdir -p "$dir/models"
"$MKMODEL" demo "$dir/models" >/dev/null || { echo "FAIL edge-mkmodel"; exit 1; }
printf '[dbus]\nbus = %s\n' "$addr" >"$dir/edged.conf"
$EDGED --config "$dir/edged.conf" --socket "$dir/edged.sock" --models "$dir/models" -w 1 \
    >"$dir/edged.log" 2>&1 &
pids+=($!)
for _ in $(seq 1200); do grep -q "dbus: serving" "$dir/edged.log" && break; sleep 0.05; done
grep -q "dbus: serving" "$dir/edged.log" || { echo "FAIL edged did not take the name:"; cat "$dir/edged.log"; exit 1; }

M=(org.edged.Edged1 /org/edged/Edged1 org.edged.Edged1.Manager)
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# expect allowed|denied WHO DESCRIPTION busctl-args...
expect() {
    local want=$1 who=$2 what=$3
    shift 3
    local out rc
    if [[ $who == root ]]; then
        out=$(busctl --address="$addr" "$@" 2>&1)
    elif [[ $who == nobody ]]; then
        out=$(as_nobody busctl --address="$addr" "$@" 2>&1)
    else
        out=$(setpriv --reuid=65534 --regid=65534 --groups="$who" busctl --address="$addr" "$@" 2>&1)
    fi
    rc=$?
    local denied=0
    [[ $out == *"Access denied"* || $out == *"AccessDenied"* || $out == *"not allowed"* ]] && denied=1
    if [[ $want == allowed && $rc -eq 0 ]] || [[ $want == denied && $rc -ne 0 && $denied -eq 1 ]]; then
        ok "$who: $what $want"
    else
        bad "$who: $what: wanted $want, got rc $rc: $out"
    fi
}

expect allowed nobody "introspect" introspect "${M[0]}" "${M[1]}"
expect allowed nobody "Get Version" get-property "${M[@]}" Version
expect allowed nobody "ListModels" call "${M[@]}" ListModels
expect allowed nobody "GetStats" call "${M[@]}" GetStats
expect allowed nobody "model Inputs" get-property org.edged.Edged1 /org/edged/Edged1/model/digits \
    org.edged.Edged1.Model Inputs
expect denied nobody "LoadModel" call "${M[@]}" LoadModel s digits
expect denied nobody "UnloadModel" call "${M[@]}" UnloadModel s digits
expect denied nobody "ReloadModel" call "${M[@]}" ReloadModel s digits
expect denied nobody "Reload" call "${M[@]}" Reload
expect denied nobody "Infer" call "${M[@]}" Infer saay digits 1 0
expect denied nobody "Set State" set-property "${M[@]}" State s x
out=$(as_nobody busctl --address="$addr" call org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus RequestName su org.edged.Edged1 0 2>&1)
if [[ $out == *"not allowed to own"* || $out == *"Access denied"* ]]; then ok "nobody: owning org.edged.Edged1 denied"; else bad "nobody: RequestName: $out"; fi
expect allowed root "ReloadModel" call "${M[@]}" ReloadModel s digits
expect allowed root "Reload" call "${M[@]}" Reload
if getent group edged >/dev/null; then
    expect allowed edged "LoadModel (group edged)" call "${M[@]}" LoadModel s digits
    expect allowed edged "UnloadModel (group edged)" call "${M[@]}" UnloadModel s digits
    expect allowed edged "LoadModel again (group edged)" call "${M[@]}" LoadModel s digits
else
    bad "no group edged (and groupadd could not make one): the group's rights are not checked"
fi
expect allowed root "ListModels after all that" call "${M[@]}" ListModels
if ((fails)); then
    echo "$fails checks failed; edged's log:"
    cat "$dir/edged.log"
    exit 1
fi
echo "all policy checks passed"
