#!/usr/bin/env bash
# Checks the folder include graph of the sources: every #include "..." of a project
# header is an edge from the including file's folder to the included file's folder.
# Fails on an edge to a higher layer (an upward edge) and on any cycle between
# folders. Usage: tests/layers/check_layers.sh [repository root] [--graph]
# (--graph also prints every folder edge with its include count).
#
# The layers, lowest first. Keep this list in step with the libraries in
# server/CMakeLists.txt, which make an upward include a build error as well.
# A folder may include from its own layer's folder and from folders listed before it.
set -euo pipefail

LAYERS=(
    protocol          # shared by the server and the console: paths, field names, limits
    server/core       # domain: no HTTP, no Redis, no sockets
    server/storage    # shards, journal, cross-instance sync
    server/vote       # the vote and result services
    server/guard      # client budgets and connection limits
    server/stats      # the statistics model
    server/live       # live state: snapshots for WebSocket subscribers
    server/websocket  # transport: WebSocket sessions
    server/http       # transport: HTTP workers, routes, controllers
    server            # TallyServer: wires the layers together
    ui                # the console: a network client of the server
    app               # entry point: starts the server and/or the console
)
# Folders whose every subfolder must be a layer of its own (listed above).
SPLIT=(server)
# Pairs that must never meet whatever their order: the console is a client only, and
# the server knows neither the console nor the entry point that starts it.
FORBIDDEN=("ui server" "server ui" "server app")

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
show_graph=false
[[ ${2:-} == --graph ]] && show_graph=true
cd "$root"

declare -A rank
for i in "${!LAYERS[@]}"; do rank[${LAYERS[$i]}]=$i; done

# The folder of a file: the deepest layer folder that holds it.
folder_of() {
    local dir=${1%/*} best=""
    [[ $1 == */* ]] || dir=.
    for layer in "${LAYERS[@]}"; do
        if [[ $dir == "$layer" || $dir == "$layer"/* ]]; then
            [[ ${#layer} -gt ${#best} ]] && best=$layer
        fi
    done
    for split in "${SPLIT[@]}"; do
        [[ $best == "$split" && $dir != "$split" ]] && best=""
    done
    echo "${best:-?$dir}"
}

# Every include edge between two files, resolved like the compiler would: next to
# the including file first, then from the roots the build puts on the include path.
edges=$(
    tops=()
    for top in protocol server ui app; do [[ -d $top ]] && tops+=("$top"); done
    grep -rHo --include='*.h' --include='*.cpp' '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*"' "${tops[@]}" |
        sed 's/^\([^:]*\):.*"\(.*\)"$/\1 \2/' | sort |
        while read -r file include; do
            for base in "${file%/*}" server . ui; do
                if [[ -f $base/$include ]]; then
                    target=$base/$include
                    [[ $target == *..* ]] && target=$(realpath --relative-to=. "$target")
                    echo "$file ${target#./}"
                    break
                fi
            done
        done
)

declare -A count
status=0
while read -r file target; do
    [[ -n $file ]] || continue
    from=$(folder_of "$file") to=$(folder_of "$target")
    [[ $from == "$to" ]] && continue
    for f in "$from" "$to"; do
        if [[ -z ${rank[$f]+x} ]]; then
            echo "check_layers: $f is in no layer (add it to LAYERS in $0): $file includes $target"
            status=1
        fi
    done
    count["$from $to"]=$((${count["$from $to"]:-0} + 1))
    for pair in "${FORBIDDEN[@]}"; do
        read -r a b <<<"$pair"
        if [[ ($from == "$a" || $from == "$a"/*) && ($to == "$b" || $to == "$b"/*) ]]; then
            echo "check_layers: forbidden edge $from -> $to: $file includes $target"
            status=1
        fi
    done
    if [[ -n ${rank[$from]+x} && -n ${rank[$to]+x} ]] && ((rank[$to] > rank[$from])); then
        echo "check_layers: upward edge $from -> $to: $file includes $target"
        status=1
    fi
done <<<"$edges"

# A cycle needs an upward edge under a strict order, but say so plainly all the same.
if ! loop=$(for edge in "${!count[@]}"; do echo "$edge"; done | tsort 2>&1 >/dev/null) || [[ -n $loop ]]; then
    echo "check_layers: the folder graph has a cycle:"
    echo "$loop"
    status=1
fi

if $show_graph; then
    for edge in "${!count[@]}"; do printf '%s -> %s (%d)\n' ${edge} "${count[$edge]}"; done | sort
fi
if ((status == 0)); then
    echo "check_layers: ${#count[@]} folder edges, no cycle, no upward edge"
fi
exit $status
