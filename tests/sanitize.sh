#!/usr/bin/env bash
# Builds Tally with clang, AddressSanitizer and UndefinedBehaviorSanitizer (the fuzz
# configuration instruments tally_server, and so the binary and every test), runs the
# fast test labels against it, then runs the request fuzzer for a bounded time.
#
#   tests/sanitize.sh [fuzz-seconds]      default 60
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TALLY_SANITIZE_BUILD:-$root/build-sanitize}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DTALLY_FUZZ=ON -DTALLY_GUI=OFF -DTALLY_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$build" --output-on-failure -L 'unit|e2e|live|protection'
TALLY_FUZZ_BUILD="$build" "$root/tests/fuzz/run.sh" "$seconds"
