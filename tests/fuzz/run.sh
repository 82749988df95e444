#!/bin/sh
# Builds the request fuzzer (if needed) and runs it over the seed corpus.
#
#   tests/fuzz/run.sh [seconds]          default 60
#
# Environment: TALLY_FUZZ_BUILD (build directory, default <repo>/build-fuzz),
# TALLY_FUZZ_JOBS (parallel build jobs, default 2). New interesting inputs go to a
# temporary directory, so the committed corpus stays as it is; a crashing input is
# saved as <build>/fuzz-artifacts/crash-<sha1> and the script exits non-zero.
set -eu

seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${TALLY_FUZZ_BUILD:-$root/build-fuzz}

if [ ! -f "$build/CMakeCache.txt" ]; then
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DTALLY_FUZZ=ON -DTALLY_GUI=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" --target fuzz_requests -j "${TALLY_FUZZ_JOBS:-2}"

work=$(mktemp -d "${TMPDIR:-/tmp}/tally-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

status=0
"$build/tests/fuzz/fuzz_requests" \
    -max_total_time="$seconds" -timeout=10 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work" "$root/tests/fuzz/corpus" || status=$?
if [ "$status" -ne 0 ]; then
    echo "fuzz_requests failed (exit $status); inputs in $artifacts" >&2
    exit "$status"
fi
echo "fuzz_requests: no crash in ${seconds} s"
