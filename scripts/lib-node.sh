# scripts/lib-node.sh - sourced (not run) by the scripts that install npm packages for the tests
# shellcheck shell=bash
# (install-oracle.sh, install-mqttjs.sh): what they share.
#
# need_node WHO: installs Debian's nodejs and npm with apt-get when `node` or `npm` is missing
# (as root, through sudo when not root); WHO names the caller in its messages. Returns at once
# when both are there.
need_node() {
    local who=$1 missing=() as_root=()
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null ||
            { echo "$who: run as root or install sudo" >&2; exit 1; }
        as_root=(sudo)
    fi
    echo "$who: installing ${missing[*]}" >&2
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq "${missing[@]}" >/dev/null
}
