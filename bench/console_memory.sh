#!/usr/bin/env bash
# The console's memory over a long run against a busy server.
#
#   bench/console_memory.sh [path/to/tally]
#
# Starts a headless server on a free loopback port with a private data directory,
# creates POLLS polls, keeps votes coming (bulk requests from curl, about
# VOTES_PER_SECOND votes/s spread over the polls), and runs the console
# (`tally --connect URL`, offscreen) for DURATION seconds. Every SAMPLE seconds it
# records the console's resident set size (VmRSS from /proc) and prints a table of
# the samples, then the growth between the end of the warm-up (WARMUP seconds) and
# the end. Every process it starts is stopped by PID on exit. Needs curl.
set -euo pipefail

binary=${1:-$(dirname "$0")/../build/app/tally}
[[ -x $binary ]] || { echo "usage: $0 path/to/tally" >&2; exit 2; }
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
duration=${DURATION:-600}          # seconds the console runs
sample=${SAMPLE:-30}               # seconds between RSS readings
warmup=${WARMUP:-60}               # seconds before the reference reading
polls=${POLLS:-20}
votes_per_second=${VOTES_PER_SECOND:-200}
command -v curl >/dev/null || { echo "$0: curl is required" >&2; exit 2; }

work=$(mktemp -d)
server_pid= feeder_pid= console_pid=
cleanup() {
    for pid in $feeder_pid $console_pid; do kill "$pid" 2>/dev/null || true; done
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

export XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$XDG_CONFIG_HOME" && mkdir -m 0700 "$XDG_RUNTIME_DIR"
for name in $(env | sed -n 's/^\(TALLY_[A-Z_]*\)=.*/\1/p'); do unset "$name"; done

: >"$work/server.log" # exists before the server writes to it: sed below must not fail
"$binary" --headless --port 0 --data-dir "$work/data" >"$work/server.log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 100); do
    url=$(sed -n 's/^Tally listening on \(http:[^ ]*\) .*/\1/p' "$work/server.log")
    [[ -n $url ]] && break
    sleep 0.1
done
[[ -n $url ]] || { echo "$0: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
url=${url%/}

for i in $(seq "$polls"); do
    curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' "$url/api/v1/polls" \
        -d "{\"id\":\"p$i\",\"theme\":\"bench\",\"question\":\"Poll $i?\",\"options\":[\"A\",\"B\",\"C\",\"D\"]}"
done

# Ten bulk requests a second, each with votes_per_second/10 votes over every poll.
(
    per_request=$((votes_per_second / 10))
    body=$(for v in $(seq "$per_request"); do
        printf '{"poll_id":"p%d","option_id":"%s"},' $((v % polls + 1)) "$(echo ABCD | cut -c$((v % 4 + 1)))"
    done)
    body="{\"votes\":[${body%,}]}"
    while true; do
        curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' "$url/api/v1/votes" \
            -d "$body" || true
        sleep 0.1
    done
) &
feeder_pid=$!

QT_QPA_PLATFORM=offscreen "$binary" --connect "$url" >"$work/console.log" 2>&1 &
console_pid=$!

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$console_pid/status"; }
echo "| seconds | console RSS (kB) |"
echo "|---:|---:|"
reference= last=
for ((t = 0; t <= duration; t += sample)); do
    (( t > 0 )) && sleep "$sample"
    kill -0 "$console_pid" 2>/dev/null || { echo "$0: the console exited" >&2; cat "$work/console.log" >&2; exit 1; }
    last=$(rss)
    echo "| $t | $last |"
    (( t >= warmup )) && [[ -z $reference ]] && reference=$last
done
votes=$(curl -fsS "$url/api/v1/stats" | sed -n 's/.*"accepted":\([0-9]*\).*/\1/p')
echo
echo "votes accepted by the server during the run: ${votes:-unknown}"
echo "RSS after ${warmup} s: ${reference} kB; after ${duration} s: ${last} kB; growth: $((last - reference)) kB"
