#!/usr/bin/env bash
# What durability costs and how fast a crash is recovered, on loopback only.
#
# 1. Vote POST throughput and latency (wrk + vote.lua, polls 1..1000 with options A-D)
#    with --durability sync and --durability async, alternating, RUNS times each, with
#    the same connections and duration; a fresh data directory per run.
# 2. Recovery: a server with --batch-interval 3600 takes RECOVERY_VOTES votes (bulk
#    POST /api/v1/votes, 1000 votes per request), is SIGKILLed with all of them only in
#    its journal, and is started again on the same data directory: the time from start
#    to the "Tally listening" line, the server's own "Journal: ... read in X ms" line,
#    and the same start with an empty journal for comparison.
#
# Builds nothing. Settings (environment): DURATION (10s), CONNECTIONS (64), THREADS (2),
# WORKERS (2), RUNS (2), RECOVERY_VOTES (1000000), TALLY_BIN (../build-bench/app/tally
# relative to this script), BENCH_DIR (a new directory under /tmp; must be on a real disk
# for fdatasync to mean anything). Needs wrk and curl.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
RUNS=${RUNS:-2}
RECOVERY_VOTES=${RECOVERY_VOTES:-1000000}
TALLY_BIN=${TALLY_BIN:-$here/../build-bench/app/tally}
POLLS=1000
BULK=1000

if [[ ! -x $TALLY_BIN ]]; then
    echo "durability.sh: no tally binary at $TALLY_BIN; build one with" >&2
    echo "  cmake -S $here/.. -B $here/../build-bench -DCMAKE_BUILD_TYPE=Release -DTALLY_GUI=OFF -DTALLY_TESTS=OFF" >&2
    echo "  make -C $here/../build-bench -j2 tally" >&2
    exit 1
fi
help=$("$TALLY_BIN" --help)
grep -q -- '--durability' <<<"$help" ||
    { echo "durability.sh: $TALLY_BIN has no --durability setting: rebuild it" >&2; exit 1; }
for tool in wrk curl awk; do
    command -v "$tool" >/dev/null || { echo "durability.sh: $tool not found" >&2; exit 1; }
done
((RECOVERY_VOTES % BULK == 0)) || { echo "durability.sh: RECOVERY_VOTES must be a multiple of $BULK" >&2; exit 1; }

tmp=${BENCH_DIR:-$(mktemp -d /tmp/tally-durability.XXXXXX)}
mkdir -p "$tmp"
tally_pid="" tally_url="" tally_log=""
cleanup() {
    if [[ -n $tally_pid ]]; then
        kill -TERM "$tally_pid" 2>/dev/null && wait "$tally_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# wrk's "850.00us", "12.07ms" or "1.02s" in milliseconds.
to_ms() { awk -v t="$1" 'BEGIN { v = t + 0; if (t ~ /us$/) v /= 1000; else if (t ~ /[0-9]s$/) v *= 1000; printf "%.2f", v }'; }

ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# Each output line prefixed with the time it was read, so readiness is timed exactly.
stamp() {
    local line
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# launch <log> <tally arguments...>: starts tally in the background; sets tally_pid,
# launched_at (epoch seconds) and tally_log.
launch() {
    tally_log=$1
    shift
    : >"$tally_log"
    launched_at=$EPOCHREALTIME
    "$TALLY_BIN" --headless --bind 127.0.0.1 --port 0 --workers "$WORKERS" "$@" \
        > >(stamp >"$tally_log") 2>&1 &
    tally_pid=$!
}

# wait_ready <seconds>: waits for the listening line; sets tally_url and ready_ms (time
# from launch to the line).
wait_ready() {
    local deadline=$((SECONDS + $1)) line
    until line=$(grep -m1 "Tally listening on" "$tally_log"); do
        if ((SECONDS >= deadline)) || ! kill -0 "$tally_pid" 2>/dev/null; then
            echo "durability.sh: tally did not get ready" >&2
            cat "$tally_log" >&2
            exit 1
        fi
        sleep 0.01
    done
    tally_url=$(grep -o "http://[0-9.]*:[0-9]*" <<<"$line" | head -1)
    ready_ms=$(ms_between "$launched_at" "${line%% *}")
}

# stop_tally: SIGTERM and wait; sets stop_ms and stop_status.
stop_tally() {
    local started=$EPOCHREALTIME
    kill -TERM "$tally_pid"
    stop_status=0
    wait "$tally_pid" || stop_status=$?
    stop_ms=$(ms_between "$started" "$EPOCHREALTIME")
    tally_pid=""
}

# kill_tally: SIGKILL and wait, then remove the per-port lock file the server left.
kill_tally() {
    kill -KILL "$tally_pid"
    wait "$tally_pid" 2>/dev/null || true
    tally_pid=""
    local port=${tally_url##*:} host=${tally_url#http://}
    rm -f "${TMPDIR:-/tmp}/tally-port-$port-${host%:*}.lock"
}

stats() { curl -fs "$tally_url/api/v1/stats"; }
field() { grep -o "\"$1\":[0-9.]*" <<<"$2" | head -1 | cut -d: -f2; }

# Polls 1..1000 with options A-D: one curl, 16 keep-alive transfers at a time (as run.sh).
create_polls() {
    local i created
    for i in $(seq 1 $POLLS); do
        ((i == 1)) || echo next
        printf 'url = "%s/api/v1/polls"\nheader = "Content-Type: application/json"\n' "$tally_url"
        printf 'data = "{\\"id\\":\\"%d\\",\\"question\\":\\"Bench %d?\\",\\"theme\\":\\"bench\\",\\"options\\":[\\"A\\",\\"B\\",\\"C\\",\\"D\\"]}"\n' "$i" "$i"
        printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
    done >"$tmp/polls.curl"
    created=$(curl -s --no-progress-meter -Z --parallel-max 16 -K "$tmp/polls.curl" | grep -c '^201$' || true)
    [[ $created == "$POLLS" ]] || { echo "durability.sh: created $created of $POLLS polls" >&2; exit 1; }
}

wait_flushed() {
    local json
    for _ in $(seq 1 300); do
        json=$(stats)
        [[ $(field depth "$json") == 0 && $(field in_flight "$json") == 0 &&
           $(field accepted "$json") == "$(field flushed "$json")" ]] && return 0
        sleep 0.1
    done
    echo "durability.sh: votes not flushed: $json" >&2
    return 1
}

echo "== tally: $TALLY_BIN"
echo "== data: $tmp ($(df -T "$tmp" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. throughput, sync vs async ---------------------------------------------------------
declare -A rps_sum=() runs_done=()
rows=()
for run in $(seq 1 "$RUNS"); do
    for mode in sync async; do
        launch "$tmp/$mode-$run.log" --data-dir "$tmp/data-$mode-$run" --durability "$mode"
        wait_ready 30
        create_polls
        [[ $(grep -o '"durability":"[a-z]*"' <<<"$(stats)") == "\"durability\":\"$mode\"" ]] ||
            { echo "durability.sh: server does not report durability $mode" >&2; exit 1; }
        wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -s "$here/vote.lua" "$tally_url" >/dev/null
        echo "== $mode, run $run ($CONNECTIONS connections, $THREADS threads, $DURATION)"
        out=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s "$here/vote.lua" "$tally_url")
        echo "$out"
        unset v
        declare -A v=()
        for kv in $(grep '^RESULT' <<<"$out" | cut -d' ' -f2-); do v[${kv%%=*}]=${kv#*=}; done
        p90=$(to_ms "$(awk '$1 == "90%" { print $2 }' <<<"$out")")
        wait_flushed
        json=$(stats)
        stop_tally
        ((stop_status == 0)) || { echo "durability.sh: tally exited with $stop_status" >&2; exit 1; }
        rows+=("| $mode | $run | ${v[rps]} | ${v[p50_ms]} ms | $p90 ms | ${v[p99_ms]} ms | $((v[non2xx] + v[socket_errors])) | $(field accepted "$json") |")
        rps_sum[$mode]=$(awk -v a="${rps_sum[$mode]:-0}" -v b="${v[rps]}" 'BEGIN { print a + b }')
        runs_done[$mode]=$((${runs_done[$mode]:-0} + 1))
    done
done
sync_rps=$(awk -v s="${rps_sum[sync]}" -v n="${runs_done[sync]}" 'BEGIN { printf "%.0f", s / n }')
async_rps=$(awk -v s="${rps_sum[async]}" -v n="${runs_done[async]}" 'BEGIN { printf "%.0f", s / n }')
ratio=$(awk -v s="$sync_rps" -v a="$async_rps" 'BEGIN { printf "%.0f", 100 * s / a }')

# --- 2. recovery of RECOVERY_VOTES journaled votes ------------------------------------------
recovery_args=(--data-dir "$tmp/data-recovery" --batch-interval 3600 --batch-max-votes 100000000
               --max-pending-votes $((RECOVERY_VOTES + 1000)) --max-body 1048576)
launch "$tmp/recovery-1.log" "${recovery_args[@]}"
wait_ready 30
create_polls
# 10 different bodies of 1000 votes spread over every poll and option, cycled.
options=(A B C D)
for b in $(seq 0 9); do
    {
        printf '{"votes":['
        for j in $(seq 0 $((BULK - 1))); do
            ((j == 0)) || printf ','
            printf '{"poll_id":"%d","option_id":"%s"}' $(((b * 337 + j * 7) % POLLS + 1)) "${options[$(((b + j) % 4))]}"
        done
        printf ']}'
    } >"$tmp/bulk-$b.json"
done
for i in $(seq 1 $((RECOVERY_VOTES / BULK))); do
    ((i == 1)) || echo next
    printf 'url = "%s/api/v1/votes"\nheader = "Content-Type: application/json"\n' "$tally_url"
    printf 'data-binary = "@%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$tmp/bulk-$((i % 10)).json"
done >"$tmp/push.curl"
echo "== pushing $RECOVERY_VOTES votes ($BULK per bulk request, 4 at a time, --durability sync)"
push_start=$EPOCHREALTIME
accepted_requests=$(curl -s --no-progress-meter -Z --parallel-max 4 -K "$tmp/push.curl" | grep -c '^202$' || true)
push_ms=$(ms_between "$push_start" "$EPOCHREALTIME")
json=$(stats)
[[ $accepted_requests == $((RECOVERY_VOTES / BULK)) && $(field accepted "$json") == "$RECOVERY_VOTES" &&
   $(field depth "$json") == "$RECOVERY_VOTES" ]] ||
    { echo "durability.sh: push incomplete ($accepted_requests requests): $json" >&2; exit 1; }
journal_bytes=$(cat "$tmp/data-recovery/journal/"*.log | wc -c)
journal_files=$(ls "$tmp/data-recovery/journal/" | wc -l)
echo "pushed in $push_ms ms; journal: $journal_files file(s), $journal_bytes bytes; SIGKILL"
kill_tally

launch "$tmp/recovery-2.log" "${recovery_args[@]}"
wait_ready 300
recovery_ready_ms=$ready_ms
journal_line=$(grep -o "Journal: .*" "$tmp/recovery-2.log" | grep "read in" || true)
json=$(stats)
recovered=$(field recovered "$json")
echo "restart: listening after $recovery_ready_ms ms; $journal_line; votes.recovered=$recovered"
[[ $recovered == "$RECOVERY_VOTES" ]] || { echo "durability.sh: recovered $recovered of $RECOVERY_VOTES" >&2; exit 1; }
total=$(curl -fs "$tally_url/api/v1/results/1" | grep -o '"total":[0-9]*' | cut -d: -f2)
stop_tally
drain_ms=$stop_ms drain_status=$stop_status
echo "graceful stop (flushes the $RECOVERY_VOTES replayed votes): $drain_ms ms, exit status $drain_status"

# The same start with an empty journal, three times.
empty_ready=()
for i in 1 2 3; do
    launch "$tmp/recovery-$((i + 2)).log" "${recovery_args[@]}"
    wait_ready 60
    empty_ready+=("$ready_ms")
    empty_recovered=$(field recovered "$(stats)")
    total_after=$(curl -fs "$tally_url/api/v1/results/1" | grep -o '"total":[0-9]*' | cut -d: -f2)
    stop_tally
    [[ $empty_recovered == 0 && $total == "$total_after" ]] ||
        { echo "durability.sh: clean restart changed counts ($total -> $total_after) or replayed $empty_recovered" >&2; exit 1; }
done
echo "start with an empty journal: listening after ${empty_ready[*]} ms (poll 1 total $total each time)"

echo
echo "Tally workers: $WORKERS, wrk: $THREADS threads, $CONNECTIONS connections, $DURATION per run, $RUNS run(s) per mode"
echo
echo "| durability | run | req/s | p50 | p90 | p99 | errors | votes accepted (with warm-up) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "Mean: sync $sync_rps req/s, async $async_rps req/s: sync is $ratio% of async."
echo
echo "| recovery of $RECOVERY_VOTES votes | |"
echo "|---|---|"
echo "| push ($BULK per bulk request, sync) | $push_ms ms |"
echo "| journal on disk | $journal_files file(s), $journal_bytes bytes |"
echo "| start to listening, after SIGKILL | $recovery_ready_ms ms |"
echo "| server's journal line | \`$journal_line\` |"
echo "| graceful stop flushing them | $drain_ms ms |"
echo "| start to listening, empty journal (3 starts) | ${empty_ready[0]}, ${empty_ready[1]}, ${empty_ready[2]} ms |"
