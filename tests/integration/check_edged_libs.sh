#!/bin/sh
# tests/integration/check_edged_libs.sh EDGED - what meson's front-end features left out of edged
# is out of it: for each of mqtt, frigate and vision that $EDGED_FEATURES (tests/meson.build)
# does not list, its library (libmosquitto; libzmq; libjpeg and libpng) is not among edged's
# NEEDED entries, and `edged --version` lists exactly the front ends built. (-Ddbus leaves
# libsystemd in: sd_notify and socket activation need it, and sd-bus is part of it.)
set -eu
edged=$1
needed=$(LC_ALL=C readelf -d "$edged" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
fail=0
for pair in mqtt:libmosquitto frigate:libzmq vision:libjpeg vision:libpng; do
    feature=${pair%%:*}
    lib=${pair#*:}
    case " $EDGED_FEATURES " in
    *" $feature "*) want=yes ;;
    *) want=no ;;
    esac
    if echo "$needed" | grep -q "^$lib[0-9]*\."; then have=yes; else have=no; fi
    echo "# $feature built: $want; $lib linked: $have"
    if [ "$want" = no ] && [ "$have" = yes ]; then
        echo "FAIL: edged links $lib although the build left $feature out" >&2
        fail=1
    fi
done
line=$("$edged" --version | sed -n 's/^front ends: //p')
echo "# edged --version: front ends: $line"
for feature in vision mqtt frigate dbus; do
    case " $EDGED_FEATURES " in *" $feature "*) want=yes ;; *) want=no ;; esac
    case " $line " in *" $feature "*) have=yes ;; *) have=no ;; esac
    if [ "$want" != "$have" ]; then
        echo "FAIL: edged --version says front ends '$line'; $feature built: $want" >&2
        fail=1
    fi
done
exit $fail
