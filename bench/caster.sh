#!/usr/bin/env bash
# The console's vote caster under a burst: a headless tally on loopback (fresh data
# directory), one poll with four options, then tally_caster (the console's main window,
# offscreen) sends a burst from the caster panel per transport and prints the votes
# accepted per second and the console's event-loop delay during the burst (its lag meter).
# Builds nothing; writes no files.
#
#   bench/caster.sh [path/to/tally]     (default $TALLY_BIN, then ../build/app/tally)
#
# Settings (environment): VOTES (100000 per burst), RATE (20000 votes/s), TRANSPORTS
# ("bulk websocket"; also "single"), WORKERS (2), CASTER_BIN (default: next to the tally
# build, bench/caster/tally_caster; needs a build with TALLY_GUI=ON). Needs curl.
# Target: 20,000 votes/s with the event-loop delay max <= 50 ms.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TALLY_BIN=${1:-${TALLY_BIN:-$here/../build/app/tally}}
TALLY_BIN=$(realpath "$TALLY_BIN" 2>/dev/null || echo "$TALLY_BIN")
build_dir=$(dirname "$(dirname "$TALLY_BIN")")
CASTER_BIN=${CASTER_BIN:-$build_dir/bench/caster/tally_caster}
VOTES=${VOTES:-100000}
RATE=${RATE:-20000}
TRANSPORTS=${TRANSPORTS:-bulk websocket}
WORKERS=${WORKERS:-2}

[[ -x $TALLY_BIN ]] || { echo "caster.sh: no tally binary at $TALLY_BIN" >&2; exit 1; }
[[ -x $CASTER_BIN ]] || { echo "caster.sh: no tally_caster at $CASTER_BIN (build with TALLY_GUI=ON)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/tally-caster.XXXXXX)
tally_pid=""
cleanup() {
    [[ -n $tally_pid ]] && kill -TERM "$tally_pid" 2>/dev/null && wait "$tally_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== load average at start: $(load)"
"$TALLY_BIN" --headless --bind 127.0.0.1 --port 0 --data-dir "$tmp/data" --workers "$WORKERS" >"$tmp/tally.log" 2>&1 &
tally_pid=$!
for _ in $(seq 150); do grep -q "Tally listening on" "$tmp/tally.log" && break; sleep 0.1; done
url=$(grep -o "Tally listening on http://[0-9.]*:[0-9]*" "$tmp/tally.log" | head -1 | cut -d' ' -f4 || true)
[[ -n $url ]] || { echo "caster.sh: tally did not start" >&2; cat "$tmp/tally.log" >&2; exit 1; }
curl -fs -o /dev/null -H 'Content-Type: application/json' "$url/api/v1/polls" \
    -d '{"id":"caster","question":"Caster bench?","theme":"bench","options":["A","B","C","D"]}'

rows=()
for transport in $TRANSPORTS; do
    echo "== $transport: $VOTES votes at $RATE votes/s (tally $url)"
    out=$(XDG_RUNTIME_DIR=$tmp ${CASTER_WRAP:-} "$CASTER_BIN" --url "$url" --poll caster --votes "$VOTES" --rate "$RATE" \
          --transport "$transport" 2>&1 || true)
    echo "$out" | grep -v '^QStandardPaths' || true
    declare -A v=()
    for kv in $(grep '^RESULT' <<<"$out" | cut -d' ' -f2-); do v[${kv%%=*}]=${kv#*=}; done
    met=$(awk "BEGIN { print (${v[votes_per_s]:-0} >= 0.95 * $RATE && ${v[lag_max_ms]:-999} <= 50 && ${v[errors]:-1} == 0) ? \"yes\" : \"no\" }")
    rows+=("| console caster, $transport | ${v[votes_per_s]:-?} votes/s (${v[accepted]:-?} accepted, ${v[errors]:-?} errors) | ${v[lag_max_ms]:-?} ms | ${v[lag_avg_ms]:-?} ms | $RATE votes/s, max <= 50 ms | $met |")
    unset v
done
total=$(curl -fs "$url/api/v1/results/caster" | grep -o '"total":[0-9]*' | cut -d: -f2)
echo
echo "Load average at the end: $(load) ($(nproc) cores); poll total on the server: $total"
echo
echo "| scenario | achieved | event-loop delay max | average | target | met |"
echo "|---|---:|---:|---:|---:|:---:|"
printf '%s\n' "${rows[@]}"
