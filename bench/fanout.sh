#!/usr/bin/env bash
# Live fan-out benchmark: a headless Release tally on loopback, then tally_fanout with
# 1000 and 5000 WebSocket subscribers on one poll while 200 votes/s are cast over REST
# for 10 s. Prints the tool's reports and a Markdown table; writes no files.
#
# Settings (environment):
#   BUILD_DIR      Release build with tally and tally_fanout (../build-bench relative to here)
#   TALLY_BIN      server binary (default $BUILD_DIR/app/tally)
#   FANOUT_BIN     tool binary (default $BUILD_DIR/bench/fanout/tally_fanout)
#   SUBSCRIBERS    space-separated runs ("1000 5000")
#   RATE           votes per second (200)
#   DURATION       seconds of voting per run (10)
#   WORKERS        tally --workers (2)
#   LIVE_INTERVAL  tally --live-interval in ms (100)
#   VOTE_WS=1      vote over the tool's own WebSocket instead of REST
#   THREADS        tally_fanout --threads for the subscribers (2, one per core: with one,
#                  the tool's own reading thread added ~8 ms to the every-vote p99 here)
#   NO_GLIB=1      start tally with QT_NO_GLIB=1 (Qt's plain UNIX event dispatcher instead
#                  of the GLib one, whose socket-notifier bookkeeping is linear in the
#                  number of sockets per thread; the tool always uses the UNIX one)
#
# Build first:
#   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DTALLY_GUI=OFF -DTALLY_TESTS=OFF
#   make -C build-bench -j2 tally tally_fanout
#
# Every subscriber is a file descriptor in the tool and another in the server: the script
# raises `ulimit -n` to the hard limit for both (check `ulimit -Hn`; 5000 subscribers
# need well over 5000).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../build-bench}
TALLY_BIN=${TALLY_BIN:-$BUILD_DIR/app/tally}
FANOUT_BIN=${FANOUT_BIN:-$BUILD_DIR/bench/fanout/tally_fanout}
SUBSCRIBERS=${SUBSCRIBERS:-"1000 5000"}
RATE=${RATE:-200}
DURATION=${DURATION:-10}
WORKERS=${WORKERS:-2}
LIVE_INTERVAL=${LIVE_INTERVAL:-100}
THREADS=${THREADS:-2}
NO_GLIB=${NO_GLIB:-0}

[[ -x $TALLY_BIN ]] || { echo "fanout.sh: no tally binary at $TALLY_BIN (set BUILD_DIR or TALLY_BIN)" >&2; exit 1; }
[[ -x $FANOUT_BIN ]] || { echo "fanout.sh: no tally_fanout at $FANOUT_BIN (make tally_fanout)" >&2; exit 1; }

ulimit -n "$(ulimit -Hn)"
echo "file descriptor limit: $(ulimit -n)"

tmp=$(mktemp -d /tmp/tally-fanout.XXXXXX)
tally_pid=""
cleanup() {
    [[ -n $tally_pid ]] && kill -TERM "$tally_pid" 2>/dev/null && wait "$tally_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

wait_for() {  # wait_for <seconds> <command...>: retry every 0.1 s
    local tries=$(($1 * 10)); shift
    until "$@" >/dev/null 2>&1; do
        ((--tries > 0)) || return 1
        sleep 0.1
    done
}

start_tally() {  # a fresh server per run, so runs do not share state
    rm -rf "$tmp/data"
    # Every subscriber comes from 127.0.0.1: lift the per-client connection cap.
    local env=()
    [[ $NO_GLIB == 1 ]] && env+=(QT_NO_GLIB=1)
    env "${env[@]}" "$TALLY_BIN" --headless --bind 127.0.0.1 --port 0 --data-dir "$tmp/data" --workers "$WORKERS" \
        --live-interval "$LIVE_INTERVAL" --max-connections 100000 --max-connections-per-client 100000 \
        >"$tmp/tally.log" 2>&1 &
    tally_pid=$!
    wait_for 15 grep -q "Tally listening on" "$tmp/tally.log" ||
        { echo "fanout.sh: tally did not start" >&2; cat "$tmp/tally.log" >&2; exit 1; }
    tally_url=$(grep -o "Tally listening on http://[0-9.]*:[0-9]*" "$tmp/tally.log" | head -1 | cut -d' ' -f4)
}

stop_tally() {
    kill -TERM "$tally_pid"
    wait "$tally_pid" || true
    tally_pid=""
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
for subscribers in $SUBSCRIBERS; do
    start_tally
    echo "== $subscribers subscribers, $RATE votes/s for $DURATION s (tally $tally_url, $WORKERS workers, live interval $LIVE_INTERVAL ms)"
    rss_before=$(awk '/^VmRSS/ { print $2 }' "/proc/$tally_pid/status")
    extra=()
    [[ ${VOTE_WS:-0} == 1 ]] && extra+=(--vote-ws)
    out=$("$FANOUT_BIN" --url "$tally_url" --subscribers "$subscribers" --rate "$RATE" --duration "$DURATION" \
          --threads "$THREADS" --server-pid "$tally_pid" "${extra[@]}")
    echo "$out"
    declare -A v=()
    for kv in $(grep '^RESULT' <<<"$out" | cut -d' ' -f2-); do v[${kv%%=*}]=${kv#*=}; done
    clients=$(curl -fs "$tally_url/api/v1/stats" | grep -o '"websocket_clients":[0-9]*' | cut -d: -f2 || true)
    echo "server websocket_clients at the end: ${clients:-?}"
    # Server memory grown while the subscribers were connected, per subscriber (an upper
    # bound of what an idle subscriber costs: it includes the votes of the run).
    rss_after=$(awk '/^VmRSS/ { print $2 }' "/proc/$tally_pid/status")
    kb_per_subscriber=$(awk "BEGIN { printf \"%.1f\", ($rss_after - $rss_before) / $subscribers }")
    rows+=("| $subscribers | ${v[ready]} | ${v[connect_failures]} | ${v[accepted]}/${v[votes]} | ${v[p50_ms]} ms | ${v[p99_ms]} ms | ${v[max_ms]} ms | ${v[vote_p50_ms]} ms | ${v[vote_p99_ms]} ms | ${v[msgs_per_s]} | ${v[converged]} | ${v[server_us_per_snapshot]} us | $kb_per_subscriber kB |")
    unset v
    stop_tally
done

echo
via=REST
[[ ${VOTE_WS:-0} == 1 ]] && via=WebSocket
dispatcher=GLib
[[ $NO_GLIB == 1 ]] && dispatcher="UNIX (QT_NO_GLIB=1)"
echo "Release tally, $WORKERS workers, --live-interval $LIVE_INTERVAL ms, $dispatcher event dispatcher;" \
     "$RATE votes/s over $via for $DURATION s; $THREADS subscriber thread(s) in tally_fanout; load average before: $load_before"
echo
echo "| subscribers | ready | connect failures | votes accepted | snapshot p50 | snapshot p99 | snapshot max | every-vote p50 | every-vote p99 | snapshots/s | converged | server CPU per snapshot | server RSS per subscriber |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
