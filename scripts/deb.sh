#!/usr/bin/env bash
# make deb: linecap_VERSION_ARCH.deb from the working tree (docs/SERVICE.md).
#   scripts/deb.sh [OUTDIR]     (default build-deb/)
# Copies the tree (tracked and new files, not ignored ones: no build
# directories) to OUTDIR/linecap-VERSION, sets debian/changelog's version to
# meson.build's project version there, and runs dpkg-buildpackage -b in it.
# The package lands in OUTDIR; its path is the last line printed.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${1:-$ROOT/build-deb}
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
VERSION=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" meson.build | head -1)
[ -n "$VERSION" ] || { echo "deb: no project version in meson.build" >&2; exit 1; }
ARCH=$(dpkg --print-architecture)
SRC=$OUT/linecap-$VERSION

rm -rf "$SRC" "$OUT"/linecap_"$VERSION"_* "$OUT"/linecap-dbgsym_"$VERSION"_*
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # a file deleted but not yet committed is listed and skipped
    git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
        tar -C "$ROOT" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$SRC" -xf -
else
    tar -C "$ROOT" --exclude='./build*' --exclude=./tests/out --exclude=./capture -cf - . |
        tar -C "$SRC" -xf -
fi
[ -f "$SRC/debian/control" ] || { echo "deb: $SRC/debian/control missing after the copy" >&2; exit 1; }

have=$(sed -n '1s/^linecap (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")
if [ "$have" != "$VERSION" ]; then
    echo "deb: debian/changelog says $have, meson.build $VERSION: building $VERSION"
    sed -i "1s/^linecap ([^)]*)/linecap ($VERSION)/" "$SRC/debian/changelog"
fi

jobs=$(nproc 2>/dev/null || echo 1)
( cd "$SRC" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -b -us -uc >"$OUT/build.log" 2>&1 ) || {
    echo "deb: dpkg-buildpackage failed; the end of $OUT/build.log:" >&2
    tail -30 "$OUT/build.log" >&2
    exit 1
}
DEB=$OUT/linecap_${VERSION}_${ARCH}.deb
[ -f "$DEB" ] || { echo "deb: $DEB was not made" >&2; exit 1; }
rm -rf "$SRC"
echo "$DEB"
