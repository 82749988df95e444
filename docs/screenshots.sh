#!/usr/bin/env bash
# Takes the console screenshots in docs/screenshots/ from an already built binary.
#
#   docs/screenshots.sh path/to/tally
#
# Starts a headless server on a free port with a private data directory, fills it
# with demo polls (several themes, votes cast), keeps votes coming in, and runs
# `tally --connect URL` under Xvfb at 1280x800 and 1920x1080 (English), 1280x800 in
# German, with the console's dark colours (View › Colours › Dark), and the start-up
# dialog of a console whose port is taken. Each console
# screenshot is taken after TALLY_SCREENSHOT_SETTLE seconds (default 30): the console
# has loaded its data and drawn some health history by then. Needs xvfb-run,
# ImageMagick (import) and curl. The dark-palette screenshots come from
# `TALLY_SCREENSHOT_DIR=docs/screenshots build/tests/ui/tst_ui_translations`.
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
    echo "usage: $0 path/to/tally" >&2
    exit 2
fi
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$(cd "$(dirname "$0")" && pwd)/screenshots
settle=${TALLY_SCREENSHOT_SETTLE:-30} # seconds of live data before each screenshot
for tool in xvfb-run import curl; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is required" >&2; exit 2; }
done

work=$(mktemp -d)
server_pid=
feeder_pid=
cleanup() {
    [[ -n $feeder_pid ]] && kill "$feeder_pid" 2>/dev/null || true
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Private settings and runtime directories: no saved window layout, no warnings.
export XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$XDG_CONFIG_HOME" && mkdir -m 0700 "$XDG_RUNTIME_DIR"
for name in $(env | sed -n 's/^\(TALLY_[A-Z_]*\)=.*/\1/p'); do unset "$name"; done

"$binary" --headless --port 0 --data-dir "$work/data" --batch-interval 0.5 >"$work/server.log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 100); do
    url=$(sed -n 's/^Tally listening on \(http:[^ ]*\) .*/\1/p' "$work/server.log")
    [[ -n $url ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
[[ -n $url ]] || { echo "$0: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
url=${url%/}
echo "server at $url"

api() { # method path [json]
    curl -fsS -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "$url$2" >/dev/null
}
poll() { # id theme question options...
    local id=$1 theme=$2 question=$3 options='' option
    shift 3
    for option in "$@"; do options+="${options:+,}\"$option\""; done
    api POST /api/v1/polls "{\"id\":\"$id\",\"theme\":\"$theme\",\"question\":\"$question\",\"options\":[$options]}"
}
votes() { # poll A-count B-count ...: one bulk request per option
    local id=$1 letters=ABCDEFGHIJ i=0 count body
    shift
    for count in "$@"; do
        if ((count > 0)); then
            body=$(printf '{"poll_id":"%s","option_id":"%s"},' $(for _ in $(seq "$count"); do echo "$id ${letters:i:1}"; done))
            api POST /api/v1/votes "{\"votes\":[${body%,}]}"
        fi
        i=$((i + 1))
    done
}

# The poll shown first takes up to two choices per vote, keeps its results from the
# audience until it closes, and closes by itself in 45 minutes (badges and countdown).
closes_at=$(date -u -d '+45 minutes' +%Y-%m-%dT%H:%M:%SZ)
api POST /api/v1/polls "{\"id\":\"keynote\",\"theme\":\"conference\",\"question\":\"Which keynote topics should open next year's conference?\",\"options\":[\"Distributed systems in practice\",\"Developer experience\",\"Security by default\",\"Open source sustainability\"],\"max_choices\":2,\"results_visibility\":\"after_close\",\"closes_at\":\"$closes_at\"}"
poll lunch conference "Where should the team lunch be on Friday?" "Thai place on 5th" "Pizza downstairs" "Food trucks in the park"
poll release engineering "Ship release 4.2 this week or wait for the fix?" "Ship now" "Wait for the fix" "Ship behind a flag"
poll editor engineering "Which editor do you use most?" "VS Code" "Vim / Neovim" "JetBrains IDE" "Emacs" "Something else"
poll standup team "Move the daily stand-up to 10:00?" "Yes" "No" "No preference"
poll retro team "How did this sprint feel?" "Great" "Good" "Okay" "Rough"
api POST /api/v1/polls/retro/close

votes keynote 412 287 198 133
# Two-choice votes: each selects two options.
pairs=$(printf '{"poll_id":"keynote","option_ids":["A","B"]},%.0s' $(seq 120))
api POST /api/v1/votes "{\"votes\":[${pairs%,}]}"
votes lunch 41 66 23
votes release 18 35 27
votes editor 96 51 44 12 9
votes standup 14 9 5
votes retro 6 11 4 2

# A steady trickle of votes so the charts have something to show.
(
    while true; do
        votes keynote $((RANDOM % 9)) $((RANDOM % 6)) $((RANDOM % 4)) $((RANDOM % 3)) || true
        votes editor $((RANDOM % 3)) $((RANDOM % 2)) 0 0 0 || true
        sleep 0.4
    done
) &
feeder_pid=$!

mkdir -p "$out"
shoot() { # size png settle tally-arguments...
    local size=$1 png=$2 wait=$3
    shift 3
    echo "$png at $size"
    xvfb-run -a -s "-screen 0 ${size}x24" bash -c '
        out=$1 png=$2 wait=$3 log=$4
        shift 4
        "$@" >"$log" 2>&1 &
        console=$!
        sleep "$wait"
        import -window root "$out/$png"
        kill -TERM "$console"
        wait "$console" || true
    ' screenshot "$out" "$png" "$wait" "$work/$png.log" "$binary" "$@"
    echo "wrote $out/$png"
}
settings=$XDG_CONFIG_HOME/Tally/Tally.conf
mkdir -p "$(dirname "$settings")"
for size in 1280x800 1920x1080; do
    rm -f "$settings" # a first start: default layout, system colours
    shoot "$size" "console-$size.png" "$settle" --connect "$url" --lang en
done
rm -f "$settings"
shoot 1280x800 console-de-1280x800.png "$settle" --connect "$url" --lang de
printf '[view]\ncolours=dark\n' >"$settings"
shoot 1280x800 console-dark-1280x800.png "$settle" --connect "$url" --lang en
rm -f "$settings"
# The start-up dialog: this console's own server wants the demo server's port.
shoot 1280x800 startup-port-taken-1280x800.png 5 --port "${url##*:}" --data-dir "$work/console-data" --lang en
