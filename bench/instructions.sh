#!/usr/bin/env bash
# User-space instructions per request, counted by callgrind: what Tally's own code, Qt and
# libc execute for one request, without the kernel and whatever else the machine is doing.
# Unlike req/s on a shared machine, the count hardly moves between runs, so two builds can
# be compared a few percent apart.
#
#   bench/instructions.sh path/to/tally [path/to/other/tally ...]
#
# For each build and each wrk script in SCRIPTS: a headless tally under
# `valgrind --tool=callgrind --instr-atstart=no` (temporary data directory, free loopback
# port, --workers 2), polls 1..1000 with options A-D, a warm-up, then counting switched on
# for a wrk run of DURATION at CONNECTIONS connections. Prints the requests served while
# counting and the instructions per request. Needs valgrind, wrk and curl.
#
# Timers keep running in real time while valgrind slows requests down about 50-fold, so
# work done per second rather than per request (the buffer flush, cache refills) weighs
# more here than it does at full speed: compare builds with this, not with req/s.
set -euo pipefail

SCRIPTS=${SCRIPTS:-"results.lua vote.lua"}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-6s}
here=$(cd "$(dirname "$0")" && pwd)

if (($# == 0)); then
    echo "usage: $0 path/to/tally [path/to/other/tally ...]" >&2
    exit 2
fi
for tool in valgrind callgrind_control callgrind_annotate wrk curl; do
    command -v "$tool" >/dev/null || { echo "$0: needs $tool" >&2; exit 2; }
done

tmp=$(mktemp -d)
server=
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# measure <tally> <script>: prints "<requests> <instructions per request>"
measure() {
    local bin=$1 script=$2 log=$tmp/log url total=0 requests
    rm -rf "$tmp/data" "$tmp"/callgrind.*
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/callgrind.%p" \
        "$bin" --headless --bind 127.0.0.1 --port 0 --data-dir "$tmp/data" --workers 2 \
        --max-connections-per-client 100000 >"$log" 2>&1 &
    server=$!
    for _ in $(seq 600); do
        grep -q "Tally listening on" "$log" && break
        sleep 0.1
    done
    url=$(grep -o "Tally listening on http://[0-9.]*:[0-9]*" "$log" | head -1 | cut -d' ' -f4)
    [[ -n $url ]] || { echo "$0: $bin did not start under valgrind" >&2; cat "$log" >&2; exit 1; }
    for i in $(seq 1 1000); do
        ((i == 1)) || echo next
        printf 'url = "%s/api/v1/polls"\nheader = "Content-Type: application/json"\n' "$url"
        printf 'data = "{\\"id\\":\\"%d\\",\\"question\\":\\"Bench %d?\\",\\"options\\":[\\"A\\",\\"B\\",\\"C\\",\\"D\\"]}"\n' "$i" "$i"
        printf 'output = "/dev/null"\n'
    done >"$tmp/polls.curl"
    curl -s -Z --parallel-max 8 -K "$tmp/polls.curl" >/dev/null 2>&1
    wrk -t1 -c"$CONNECTIONS" -d2s -s "$here/$script" "$url" >/dev/null
    callgrind_control -i on "$server" >/dev/null 2>&1
    requests=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s "$here/$script" "$url" |
        awk '/requests in/ {print $1}')
    callgrind_control -i off "$server" >/dev/null 2>&1
    callgrind_control -d "$server" >/dev/null 2>&1
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
    for file in "$tmp"/callgrind.*; do
        local count
        count=$(callgrind_annotate "$file" 2>/dev/null |
            awk '/PROGRAM TOTALS/ && $1 ~ /[0-9]/ {gsub(",", "", $1); print $1}')
        total=$((total + ${count:-0}))
    done
    echo "$requests $((total / requests))"
}

echo "| build | script | requests counted | instructions per request |"
echo "|---|---|---:|---:|"
for script in $SCRIPTS; do
    for bin in "$@"; do
        read -r requests per < <(measure "$bin" "$script")
        echo "| $bin | $script | $requests | $per |"
    done
done
