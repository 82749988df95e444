#!/usr/bin/env bash
# Load test of a headless Tally against a static nginx reply, on loopback only, every
# scenario as a ratio to nginx measured right before it in the same run.
#
#   bench/run.sh [path/to/tally]          (builds nothing; default $TALLY_BIN, then ../build-bench/app/tally)
#
# Scenarios: vote POST sync at 32 and 256 connections, vote POST async at 32, results GET at
# 32, bulk POST /api/v1/votes (1000 votes a request, 8 connections) sync and async,
# pipelined votes over one WebSocket (tally_wsvotes), and the live fan-out (bench/fanout.sh
# with tally_fanout) and the console's vote caster (bench/caster.sh with tally_caster, GUI
# builds only) when those tools are built. After each server's runs it checks that
# votes.flushed equals votes.accepted.
#
# Each scenario runs ROUNDS times, nginx and tally alternating, and the table gives the median
# of each (every round's value beside it): on a small shared machine two runs of the same
# binary a minute apart can differ by a quarter.
#
# Settings (environment): ROUNDS (3), DURATION (5s per wrk run), THREADS (1 wrk thread), WORKERS (2),
# TALLY_ARGS (extra tally flags), WS_VOTES (200000), FANOUT ("5000 15000"; empty: skip),
# FANOUT_BIN / WSVOTES_BIN / CASTER_BIN (default: next to the tally build). Needs wrk, nginx, curl.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TALLY_BIN=${1:-${TALLY_BIN:-$here/../build-bench/app/tally}}
TALLY_BIN=$(realpath "$TALLY_BIN" 2>/dev/null || echo "$TALLY_BIN")
build_dir=$(dirname "$(dirname "$TALLY_BIN")")
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-2}
TALLY_ARGS=${TALLY_ARGS:-}
WS_VOTES=${WS_VOTES:-200000}
FANOUT=${FANOUT-5000 15000}
FANOUT_BIN=${FANOUT_BIN:-$build_dir/bench/fanout/tally_fanout}
WSVOTES_BIN=${WSVOTES_BIN:-$build_dir/bench/wsvotes/tally_wsvotes}
CASTER_BIN=${CASTER_BIN:-$build_dir/bench/caster/tally_caster}
POLLS=1000

[[ -x $TALLY_BIN ]] || { echo "run.sh: no tally binary at $TALLY_BIN (give its path)" >&2; exit 1; }
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "run.sh: $tool not found" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d /tmp/tally-bench.XXXXXX)
nginx_pid="" tally_pid="" tally_url=""
cleanup() {
    [[ -n $tally_pid ]] && kill -TERM "$tally_pid" 2>/dev/null && wait "$tally_pid" 2>/dev/null || true
    [[ -n $nginx_pid ]] && kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {  # a random port below the ephemeral range that no socket uses
    local port
    while :; do
        port=$((20000 + RANDOM % 12000))
        [[ -z $(ss -Htan "sport = :$port") ]] && { echo "$port"; return; }
    done
}

wait_for() {  # wait_for <seconds> <command...>: retry every 0.1 s
    local tries=$(($1 * 10)); shift
    until "$@" >/dev/null 2>&1; do
        ((--tries > 0)) || return 1
        sleep 0.1
    done
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(load)
echo "== load average at start: $load_start"

# --- nginx baseline: the cheapest possible 202 JSON reply -------------------------------
nginx_port=$(free_port)
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes 2;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $tmp/nginx/body;
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            default_type application/json;
            return 202 '{"status":"accepted"}';
        }
    }
}
NGINX
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" &
nginx_pid=$!
nginx_url="http://127.0.0.1:$nginx_port"
wait_for 10 curl -fs -X POST "$nginx_url/" || { echo "run.sh: nginx did not start" >&2; cat "$tmp/nginx/logs/error.log" >&2; exit 1; }

# --- tally, headless, fresh data directory, a free port of its own choosing -------------
start_tally() {  # start_tally <extra flags...>
    rm -rf "$tmp/data"
    # All load comes from 127.0.0.1: lift the per-client connection cap.
    "$TALLY_BIN" --headless --bind 127.0.0.1 --port 0 --data-dir "$tmp/data" --workers "$WORKERS" \
        --max-connections-per-client 100000 $TALLY_ARGS "$@" >"$tmp/tally.log" 2>&1 &
    tally_pid=$!
    wait_for 15 grep -q "Tally listening on" "$tmp/tally.log" || { echo "run.sh: tally did not start" >&2; cat "$tmp/tally.log" >&2; exit 1; }
    tally_url=$(grep -o "Tally listening on http://[0-9.]*:[0-9]*" "$tmp/tally.log" | head -1 | cut -d' ' -f4)
    # polls 1..1000 with options A-D: one curl, 16 keep-alive transfers at a time
    local i
    for i in $(seq 1 $POLLS); do
        ((i == 1)) || echo next
        printf 'url = "%s/api/v1/polls"\nheader = "Content-Type: application/json"\n' "$tally_url"
        printf 'data = "{\\"id\\":\\"%d\\",\\"question\\":\\"Bench %d?\\",\\"theme\\":\\"bench\\",\\"options\\":[\\"A\\",\\"B\\",\\"C\\",\\"D\\"]}"\n' "$i" "$i"
        printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
    done >"$tmp/polls.curl"
    local created
    created=$(curl -s --no-progress-meter -Z --parallel-max 16 -K "$tmp/polls.curl" | grep -c '^201$' || true)
    [[ $created == "$POLLS" ]] || { echo "run.sh: created $created of $POLLS polls" >&2; exit 1; }
    echo "== tally $tally_url ($*${TALLY_ARGS:+ $TALLY_ARGS}): $POLLS polls created"
    wrk -t "$THREADS" -c 32 -d 2s -s "$here/mixed.lua" "$tally_url" >/dev/null
}

stop_tally() {
    kill -TERM "$tally_pid"
    local status=0
    wait "$tally_pid" || status=$?
    tally_pid=""
    checks+=("tally exit status after SIGTERM: $status")
}

stats() { curl -fs "$tally_url/api/v1/stats"; }
field() { grep -o "\"$1\":[0-9.]*" <<<"$2" | head -1 | cut -d: -f2; }

# Wait until every accepted vote is flushed (buffer and in-flight empty), then report.
check_flushed() {
    local json accepted flushed
    for _ in $(seq 1 300); do
        json=$(stats)
        accepted=$(field accepted "$json") flushed=$(field flushed "$json")
        [[ $(field depth "$json") == 0 && $(field in_flight "$json") == 0 && $accepted == "$flushed" ]] && break
        sleep 0.1
    done
    local verdict="OK"
    [[ $accepted == "$flushed" ]] || { verdict="MISMATCH"; echo "WARNING: $((accepted - flushed)) accepted votes not flushed" >&2; }
    checks+=("after $1: votes.accepted=$accepted votes.flushed=$flushed: $verdict")
    echo "${checks[-1]}"
}

# --- measurements -----------------------------------------------------------------------
rows=() checks=()
declare -A rps=() ok_rps=()
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # utime + stime, in clock ticks
declare -A cpu_us=()
wrk_run() {  # wrk_run <key> <connections> <script> <url>: sets rps[key] (and cpu_us[key] for tally)
    local out kv before=0
    [[ $4 == "$tally_url" ]] && before=$(cpu_ticks "$tally_pid")
    out=$(wrk -t "$THREADS" -c "$2" -d "$DURATION" --latency -s "$here/$3" "$4")
    local -A v=()
    for kv in $(grep '^RESULT' <<<"$out" | cut -d' ' -f2-); do v[${kv%%=*}]=${kv#*=}; done
    rps[$1]=${v[rps]}
    # Answers that were not 2xx (a refused bulk request carries no votes) do not count.
    ok_rps[$1]=$(awk "BEGIN { r = ${v[requests]}; printf \"%.0f\", r ? ${v[rps]} * (r - ${v[non2xx]}) / r : 0 }")
    # Server CPU time per request: what a request costs, whatever else runs on the machine.
    [[ $4 == "$tally_url" ]] &&
        cpu_us[$1]=$(awk "BEGIN { printf \"%.1f\", ($(cpu_ticks "$tally_pid") - $before) * 1e6 / $(getconf CLK_TCK) / ${v[requests]} }")
    echo "   $1: ${v[rps]} req/s, p50 ${v[p50_ms]} ms, p99 ${v[p99_ms]} ms, errors $((v[non2xx] + v[socket_errors]))${cpu_us[$1]:+, tally CPU ${cpu_us[$1]} us/request}"
    if ((v[non2xx] + v[socket_errors] > 0)); then checks+=("$1: $((v[non2xx] + v[socket_errors])) errors"); fi
}
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
verdict() { awk "BEGIN { print ($1 >= $2) ? \"yes\" : \"no\" }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m + 0 }'; }
rounds() {  # rounds <values...>: "median (round 1, round 2, ...)"
    if (($# > 1)); then echo "$(median "$@") ($(IFS=,; echo "${*}" | sed 's/,/, /g'))"; else echo "$1"; fi
}
repeat() {  # repeat <key> <connections> <script> <url>: ROUNDS wrk runs; rps[key] (2xx answers only) and cpu_us[key] are medians
    local i all=() cpus=()
    for ((i = 1; i <= ROUNDS; i++)); do
        wrk_run "$1 #$i" "$2" "$3" "$4"
        all+=("${ok_rps["$1 #$i"]}")
        [[ -n ${cpu_us["$1 #$i"]:-} ]] && cpus+=("${cpu_us["$1 #$i"]}")
    done
    rps[$1]=$(median "${all[@]}")
    shown[$1]=$(rounds "${all[@]}")
    ((${#cpus[@]} > 0)) && cpu_us[$1]=$(median "${cpus[@]}")
    return 0
}
declare -A shown=()
pair() {  # pair <label> <connections> <script> <target ratio>: nginx and tally, alternating
    echo "== $1 ($2 connections, $ROUNDS rounds)"
    local i nk="nginx $1 $2" tk="tally $1 $2" ns=() ts=() cpus=()
    for ((i = 1; i <= ROUNDS; i++)); do
        wrk_run "$nk #$i" "$2" "$3" "$nginx_url"
        wrk_run "$tk #$i" "$2" "$3" "$tally_url"
        ns+=("${rps["$nk #$i"]}") ts+=("${rps["$tk #$i"]}") cpus+=("${cpu_us["$tk #$i"]}")
    done
    rps[$nk]=$(median "${ns[@]}") rps[$tk]=$(median "${ts[@]}") cpu_us[$tk]=$(median "${cpus[@]}")
    shown[$nk]=$(rounds "${ns[@]}") shown[$tk]=$(rounds "${ts[@]}")
    local t=${rps[$tk]} n=${rps[$nk]}
    rows+=("| $1, $2 connections | ${shown[$tk]} req/s | ${shown[$nk]} req/s | $(ratio "$t" "$n") | >= $4 | $(verdict "$(ratio "$t" "$n")" "$4") | ${cpu_us[$tk]} |")
}
bulk() {  # bulk <label>
    echo "== $1 (8 connections, 1000 votes a request, $ROUNDS rounds)"
    repeat "tally $1" 8 bulk.lua "$tally_url"
    local votes=$((${rps["tally $1"]%.*} * 1000))
    rows+=("| $1, 8 connections | $votes votes/s (accepted requests/s: ${shown["tally $1"]}) | | | >= 1000000 votes/s | $(verdict "$votes" 1000000) | ${cpu_us["tally $1"]} per request |")
}
ws_votes() {  # ws_votes <label>
    if [[ ! -x $WSVOTES_BIN ]]; then
        rows+=("| $1 | not run: no tally_wsvotes at $WSVOTES_BIN | | | >= 300000 votes/s | |")
        return
    fi
    echo "== $1 ($WS_VOTES votes, one connection, $ROUNDS rounds)"
    local out kv i rates=() acked=0 errors=0
    for ((i = 1; i <= ROUNDS; i++)); do
        out=$("$WSVOTES_BIN" --url "$tally_url" --votes "$WS_VOTES" --polls "$POLLS" || true)
        echo "   $out"
        local -A v=()
        for kv in $(grep '^RESULT' <<<"$out" | cut -d' ' -f2-); do v[${kv%%=*}]=${kv#*=}; done
        rates+=("${v[votes_per_s]:-0}") acked=$((acked + ${v[acked]:-0})) errors=$((errors + ${v[errors]:-0}))
    done
    local rate
    rate=$(median "${rates[@]}")
    rows+=("| $1 | $(rounds "${rates[@]}") votes/s ($acked acked, $errors errors) | | | >= 300000 votes/s | $(verdict "$rate" 300000) |")
}

start_tally --durability sync
pair "vote POST, sync" 32 vote.lua 0.3
rows+=("| prior-art contract (same vote POST, sync, 32 connections) | ${shown["tally vote POST, sync 32"]} req/s | | $(ratio "${rps["tally vote POST, sync 32"]}" 3000) x the Python service's 3.0k | >= 45000 req/s | $(verdict "${rps["tally vote POST, sync 32"]}" 45000) |")
pair "vote POST, sync" 256 vote.lua 0.5
pair "results GET" 32 results.lua 0.7
bulk "bulk votes, sync"
ws_votes "WebSocket votes pipelined, sync"
check_flushed "the sync server's runs"
stop_tally

start_tally --durability async
pair "vote POST, async" 32 vote.lua 0.6
bulk "bulk votes, async"
ws_votes "WebSocket votes pipelined, async"
check_flushed "the async server's runs"
stop_tally

fanout_table=""
if [[ -n $FANOUT ]]; then
    if [[ -x $FANOUT_BIN ]]; then
        echo "== fan-out: $FANOUT subscribers (bench/fanout.sh)"
        fanout_out=$(SUBSCRIBERS="$FANOUT" TALLY_BIN="$TALLY_BIN" FANOUT_BIN="$FANOUT_BIN" WORKERS="$WORKERS" \
                     bash "$here/fanout.sh" 2>&1 || true)
        echo "$fanout_out" | grep -E '^(RESULT|==|tally_fanout|server)' || true
        fanout_table=$(grep -E '^\|' <<<"$fanout_out" || true)
    else
        fanout_table="fan-out not run: no tally_fanout at $FANOUT_BIN"
    fi
fi

caster_table=""
if [[ -x $CASTER_BIN ]]; then
    echo "== console vote caster burst (bench/caster.sh)"
    caster_out=$(CASTER_BIN="$CASTER_BIN" WORKERS="$WORKERS" bash "$here/caster.sh" "$TALLY_BIN" 2>&1 || true)
    echo "$caster_out" | grep -E '^(RESULT|==)' || true
    caster_table=$(grep -E '^\|' <<<"$caster_out" || true)
fi

echo
echo "Tally $TALLY_BIN, workers $WORKERS${TALLY_ARGS:+, flags: $TALLY_ARGS}; wrk $THREADS thread(s), $DURATION per run;" \
     "$ROUNDS rounds per scenario, nginx right before each tally run with the same script and connections;" \
     "the median of the rounds, then each round in parentheses."
echo "Load average: $load_start at the start, $(load) at the end ($(nproc) cores)."
echo
echo "| scenario | tally | nginx static 202 | ratio | target | met | tally CPU us/request |"
echo "|---|---:|---:|---:|---:|:---:|---:|"
printf '%s\n' "${rows[@]}"
if [[ -n $fanout_table ]]; then
    echo
    echo "Fan-out (targets at 5000 subscribers: snapshot p99 <= 100 ms, every-vote p99 <= 150 ms; 15000 without errors):"
    echo
    echo "$fanout_table"
fi
echo
if [[ -n $caster_table ]]; then
    echo "Console vote caster burst (bench/caster.sh; target 20000 votes/s, event-loop delay max <= 50 ms):"
    echo
    echo "$caster_table"
else
    echo "Console vote caster burst: not run (no tally_caster at $CASTER_BIN: it needs a build with"
    echo "TALLY_GUI=ON; bench/caster.sh runs it alone)."
fi
echo
printf '%s\n' "${checks[@]}"
