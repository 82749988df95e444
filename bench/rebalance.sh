#!/usr/bin/env bash
# Moving polls from two Redis nodes to three, on loopback only: how many polls a rebalance
# moves per second, and vote latency while it runs.
#
# Three redis-server processes (no persistence) on free ports; POLLS polls (options A-D,
# ids 1..POLLS, VOTES_PER_POLL votes each) created by a Tally on the first two nodes; that
# Tally is stopped and started again on all three. Then:
#   1. wrk + vote.lua for DURATION with nothing moving (baseline latency);
#   2. wrk + vote.lua for DURATION again, with POST /api/v1/shards/rebalance sent 1 s in:
#      the rebalance's polls moved / seconds (from /api/v1/stats) and wrk's latency.
# Every redis-server and tally is stopped by PID at the end.
#
# Settings (environment): POLLS (1000), VOTES_PER_POLL (100), DURATION (10s), CONNECTIONS
# (32), THREADS (2), TALLY_BIN (../build/app/tally relative to this script). Needs wrk,
# curl, python3 and redis-server.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POLLS=${POLLS:-1000}
VOTES_PER_POLL=${VOTES_PER_POLL:-100}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
TALLY_BIN=${TALLY_BIN:-$here/../build/app/tally}
work=$(mktemp -d /tmp/tally-rebalance-bench.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

nodes=()
for i in 0 1 2; do
    port=$(free_port)
    mkdir -p "$work/redis$i"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis$i" --save '' --appendonly no \
        >"$work/redis$i.log" 2>&1 &
    pids+=($!)
    nodes+=("redis://127.0.0.1:$port")
    until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
done

tally_port=$(free_port)
start_tally() { # node list
    "$TALLY_BIN" --headless --port "$tally_port" --data-dir "$work/data" --redis-nodes "$1" \
        --instance-id bench >>"$work/tally.log" 2>&1 &
    tally_pid=$!
    pids+=("$tally_pid")
    until curl -sf "http://127.0.0.1:$tally_port/health" >/dev/null; do sleep 0.05; done
}
stop_tally() { kill -TERM "$tally_pid"; wait "$tally_pid" || true; }
url="http://127.0.0.1:$tally_port"

start_tally "${nodes[0]},${nodes[1]}"
python3 - "$url" "$POLLS" "$VOTES_PER_POLL" <<'PY'
import json, sys, urllib.request
url, polls, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def post(path, body):
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    return urllib.request.urlopen(req).status
for i in range(1, polls + 1):
    post("/api/v1/polls", {"id": str(i), "question": "Q%d?" % i, "options": ["a", "b", "c", "d"]})
votes = [{"poll_id": str(i), "option_id": "ABCD"[v % 4]} for i in range(1, polls + 1) for v in range(per)]
for start in range(0, len(votes), 1000):
    post("/api/v1/votes", {"votes": votes[start:start + 1000]})
PY
stop_tally
start_tally "${nodes[0]},${nodes[1]},${nodes[2]}"
plan=$(curl -s -X POST "$url/api/v1/shards/rebalance" -H 'Content-Type: application/json' -d '{"dry_run":true}')
echo "plan: $plan"

echo "== votes, nothing moving"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$here/vote.lua" "$url" | grep -E "Latency|50%|99%|Requests/sec|non-2xx"

echo "== votes while polls move"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$here/vote.lua" "$url" >"$work/wrk.txt" &
wrk_pid=$!
sleep 1
curl -s -X POST "$url/api/v1/shards/rebalance" >/dev/null
until curl -s "$url/api/v1/stats" | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["rebalance"]["state"] == "running")'; do
    sleep 0.05
done
wait "$wrk_pid"
grep -E "Latency|50%|99%|Requests/sec|non-2xx" "$work/wrk.txt"
curl -s "$url/api/v1/stats" | python3 -c '
import json, sys
from datetime import datetime
r = json.load(sys.stdin)["rebalance"]
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
seconds = (t(r["finished_at"]) - t(r["started_at"])).total_seconds()
print("rebalance: %s, %d of %d polls moved (%d votes) in %.3f s: %.0f polls/s" % (
    r["state"], r["polls_moved"], r["polls_to_move"], r["votes_moved"], seconds, r["polls_moved"] / max(seconds, 1e-9)))'
stop_tally
