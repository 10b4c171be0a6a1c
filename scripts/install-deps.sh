#!/usr/bin/env bash
# scripts/install-deps.sh - install what edged needs on Debian 12 (idempotent).
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also what the test suite and CI use
#   scripts/install-deps.sh --deb    also what building and checking the Debian package takes
#   scripts/install-deps.sh --cross  also the ARM cross compilers, qemu-user and the arm64 and
#                                    armhf libraries the engine's cross-built tests link
#   scripts/install-deps.sh --systemd  also what the real-systemd test (scripts/test-systemd.sh)
#                                    takes: debootstrap and systemd-nspawn
# Runs apt-get as root, through sudo when not root. Skips apt-get entirely when
# every package is already installed, so it is cheap to run again.
set -euo pipefail

pkgs=(build-essential meson ninja-build pkg-config libopenblas-dev libuv1-dev libhttp-parser-dev
      libjansson-dev libinih-dev libmosquitto-dev libsystemd-dev zlib1g-dev curl
      libjpeg62-turbo-dev libpng-dev  # camera frames (vision/image.c)
      libzip-dev  # labels inside model files (vision/modellabels.c)
      libzmq3-dev  # Frigate's ZMQ detector endpoint (daemon/frigate.c)
      libxxhash-dev  # the packed-weight cache's keys and checksums (daemon/registry_load.c)
      libsodium-dev  # model digests and Ed25519 signatures (common/modelsig.c)
      libcairo2-dev  # edgectl detect --draw (client/draw.c)
      libvulkan-dev spirv-tools glslang-tools)  # the Vulkan back end: loader, spirv-as, glslang
if [[ "${1:-}" == "--test" || "${1:-}" == "--cross" ]]; then
    # the MQTT tests: a broker (and mosquitto_passwd), the command-line clients, test certificates
    pkgs+=(libcmocka-dev valgrind clang mosquitto mosquitto-clients openssl)
    # the service tests: a private dbus-daemon, busctl and systemd-analyze (no systemd PID 1 needed)
    pkgs+=(dbus-daemon systemd)
    # [wyoming] zeroconf's test (tests/voice/test_zeroconf.sh): avahi-daemon on a private bus,
    # avahi-browse and avahi-publish as its clients
    pkgs+=(avahi-daemon avahi-utils)
    # the Vulkan back end's tests: Mesa's lavapipe (a CPU Vulkan driver)
    pkgs+=(mesa-vulkan-drivers)
    # the Frigate ZMQ test's client: Debian's pyzmq, as Frigate itself uses it
    pkgs+=(python3 python3-zmq)
    # the status page's browser test (tests/browser): headless Chromium and its WebDriver
    pkgs+=(chromium chromium-driver)
    # the integration suite once more under a CPU hog on every core (scripts/test-under-load.sh)
    pkgs+=(stress-ng)
fi
if [[ "${1:-}" == "--deb" ]]; then
    pkgs+=(debhelper dpkg-dev fakeroot lintian systemd libxml2-utils man-db)
fi
if [[ "${1:-}" == "--systemd" ]]; then
    # a Debian 12 root (debootstrap) booted with systemd-nspawn (systemd-container), entered
    # with nsenter (util-linux)
    pkgs+=(debootstrap systemd-container util-linux dpkg-dev)
fi
foreign=()
if [[ "${1:-}" == "--cross" ]]; then
    pkgs+=(gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf qemu-user-static
           libcmocka-dev:arm64 libopenblas-dev:arm64 libcmocka-dev:armhf libopenblas-dev:armhf)
    foreign=(arm64 armhf)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

as_root=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
    as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
for arch in "${foreign[@]}"; do
    dpkg --print-foreign-architectures | grep -qx "$arch" ||
        "${as_root[@]}" dpkg --add-architecture "$arch"
done
# A mirror caught mid-sync fails one index ("File has unexpected size"): try again, and
# if an index still fails, go on with the rest (the install says so if a package is missing).
for try in 1 2 3; do
    "${as_root[@]}" apt-get update -qq && break
    if [[ $try -eq 3 ]]; then
        echo "install-deps: apt-get update reported errors (above); installing from the indexes it got" >&2
    else
        sleep $((try * 10))
    fi
done
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
