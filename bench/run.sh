#!/usr/bin/env bash
# Load test of a headless Tally against a static nginx reply, on loopback only.
# Settings (environment): DURATION (10s), CONNECTIONS (64), THREADS (2), WORKERS (2),
# TALLY_BIN (../build-bench/app/tally relative to this script), TALLY_ARGS (extra tally flags,
# e.g. "--durability async"). Needs wrk, nginx, curl.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
TALLY_BIN=${TALLY_BIN:-$here/../build-bench/app/tally}
TALLY_ARGS=${TALLY_ARGS:-}
POLLS=1000

[[ -x $TALLY_BIN ]] || { echo "run.sh: no tally binary at $TALLY_BIN (set TALLY_BIN)" >&2; exit 1; }
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "run.sh: $tool not found" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d /tmp/tally-bench.XXXXXX)
nginx_pid="" tally_pid=""
cleanup() {
    [[ -n $tally_pid ]] && kill -TERM "$tally_pid" 2>/dev/null && wait "$tally_pid" 2>/dev/null || true
    [[ -n $nginx_pid ]] && kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {  # a random loopback port nobody listens on
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        [[ -z $(ss -Hltn "sport = :$port") ]] && { echo "$port"; return; }
    done
}

wait_for() {  # wait_for <seconds> <command...>: retry every 0.1 s
    local tries=$(($1 * 10)); shift
    until "$@" >/dev/null 2>&1; do
        ((--tries > 0)) || return 1
        sleep 0.1
    done
}

# --- nginx baseline: the cheapest possible 202 JSON reply -------------------------------
nginx_port=$(free_port)
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
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
EOF
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" &
nginx_pid=$!
nginx_url="http://127.0.0.1:$nginx_port"
wait_for 10 curl -fs -X POST "$nginx_url/" || { echo "run.sh: nginx did not start" >&2; cat "$tmp/nginx/logs/error.log" >&2; exit 1; }

# --- tally, headless, fresh data directory, a free port of its own choosing -------------
"$TALLY_BIN" --headless --bind 127.0.0.1 --port 0 --data-dir "$tmp/data" --workers "$WORKERS" \
    $TALLY_ARGS >"$tmp/tally.log" 2>&1 &
tally_pid=$!
wait_for 15 grep -q "Tally listening on" "$tmp/tally.log" || { echo "run.sh: tally did not start" >&2; cat "$tmp/tally.log" >&2; exit 1; }
tally_url=$(grep -o "Tally listening on http://[0-9.]*:[0-9]*" "$tmp/tally.log" | head -1 | cut -d' ' -f4)

# --- polls 1..1000 with options A-D: one curl, 16 keep-alive transfers at a time ----------
for i in $(seq 1 $POLLS); do
    ((i == 1)) || echo next
    printf 'url = "%s/api/v1/polls"\nheader = "Content-Type: application/json"\n' "$tally_url"
    printf 'data = "{\\"id\\":\\"%d\\",\\"question\\":\\"Bench %d?\\",\\"theme\\":\\"bench\\",\\"options\\":[\\"A\\",\\"B\\",\\"C\\",\\"D\\"]}"\n' "$i" "$i"
    printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
done >"$tmp/polls.curl"
start=$EPOCHREALTIME
created=$(curl -s --no-progress-meter -Z --parallel-max 16 -K "$tmp/polls.curl" | grep -c '^201$' || true)
[[ $created == "$POLLS" ]] || { echo "run.sh: created $created of $POLLS polls" >&2; exit 1; }
echo "== created $POLLS polls in $(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $start }") s"

stats() { curl -fs "$tally_url/api/v1/stats"; }
field() { grep -o "\"$1\":[0-9.]*" <<<"$2" | head -1 | cut -d: -f2; }

# Wait until every accepted vote is flushed (buffer and in-flight empty), then report.
check_flushed() {
    local json accepted flushed
    for _ in $(seq 1 150); do
        json=$(stats)
        accepted=$(field accepted "$json") flushed=$(field flushed "$json")
        [[ $(field depth "$json") == 0 && $(field in_flight "$json") == 0 && $accepted == "$flushed" ]] && break
        sleep 0.1
    done
    echo "after $1: votes.accepted=$accepted votes.flushed=$flushed buffer.depth=$(field depth "$json")" \
         "flush.last_ms=$(field last_ms "$json") cache.hit_ratio=$(field hit_ratio "$json")"
    [[ $accepted == "$flushed" ]] || echo "WARNING: $((accepted - flushed)) accepted votes not flushed" >&2
    checks+=("after $1: votes.accepted=$accepted, votes.flushed=$flushed")
}

# --- load --------------------------------------------------------------------------------
rows=() checks=()
run() {  # run <label> <script> <url>
    echo "== $1 ($CONNECTIONS connections, $THREADS threads, $DURATION)"
    local out
    out=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s "$here/$2" "$3")
    echo "$out"
    local -A v=()
    local kv
    for kv in $(grep '^RESULT' <<<"$out" | cut -d' ' -f2-); do v[${kv%%=*}]=${kv#*=}; done
    rows+=("| $1 | ${v[rps]} | ${v[p50_ms]} ms | ${v[p99_ms]} ms | $((v[non2xx] + v[socket_errors])) |")
}

echo "== warm-up (2s each)"
wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -s "$here/vote.lua" "$nginx_url" >/dev/null
wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -s "$here/mixed.lua" "$tally_url" >/dev/null
check_flushed warm-up

run "nginx static 202 (baseline)" vote.lua "$nginx_url"
run "tally vote POST" vote.lua "$tally_url"
check_flushed "vote POST"
run "tally results GET" results.lua "$tally_url"
run "tally mixed 90/10" mixed.lua "$tally_url"
check_flushed "mixed"

echo
durability=$(stats | grep -o '"durability":"[a-z]*"' | cut -d'"' -f4)
echo "Tally workers: $WORKERS, durability: $durability${TALLY_ARGS:+, flags: $TALLY_ARGS}, wrk: $THREADS threads, $CONNECTIONS connections, $DURATION per scenario"
echo
echo "| scenario | req/s | p50 | p99 | errors |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
printf '%s\n' "${checks[@]}"

kill -TERM "$tally_pid"
status=0; wait "$tally_pid" || status=$?
tally_pid=""
echo "tally exit status after SIGTERM: $status"
