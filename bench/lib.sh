# The common start of every bench script, sourced as its first line:
#     . "$(dirname "$0")/lib.sh"
# Takes the script's $1 (the build directory, default build/, relative to
# the repository) and sets HERE (bench/), ROOT, BUILD, LC and GEN (the two
# binaries), PY, and die/log, which prefix the script's name.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
LC=$BUILD/linecap
GEN=$BUILD/linecap-gen
PY=/usr/bin/python3
BENCH_NAME=$(basename "${BASH_SOURCE[1]}")
die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
log() { echo "$BENCH_NAME: $*" >&2; }
