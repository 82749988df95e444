#!/usr/bin/env bash
# Shows that check_layers.sh can fail: runs it on small made-up trees with a clean
# graph, an upward include, a console include of the server, a server include of the
# entry point and a folder in no layer.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d /tmp/tally-layers.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0

# tree <name>: a minimal tree whose graph is clean: http -> core, ui -> protocol.
tree() {
    local dir=$tmp/$1
    mkdir -p "$dir"/server/core "$dir"/server/http "$dir"/ui "$dir"/protocol
    echo '#pragma once' >"$dir"/server/core/poll.h
    echo '#pragma once' >"$dir"/protocol/paths.h
    printf '#include "core/poll.h"\n#include "handler.h"\n' >"$dir"/server/http/handler.cpp
    echo '#pragma once' >"$dir"/server/http/handler.h
    echo '#include "protocol/paths.h"' >"$dir"/ui/window.cpp
    echo "$dir"
}

# expect <exit status> <text the output must hold> <tree>
expect() {
    local want=$1 text=$2 dir=$3 out got=0
    out=$("$here"/check_layers.sh "$dir" 2>&1) || got=$?
    if [[ $got != "$want" || $out != *"$text"* ]]; then
        echo "FAIL: wanted exit $want and '$text', got exit $got:"
        echo "$out"
        failures=$((failures + 1))
    else
        echo "ok: $text"
    fi
}

clean=$(tree clean)
expect 0 "no cycle, no upward edge" "$clean"

upward=$(tree upward)
echo '#include "http/handler.h"' >>"$upward"/server/core/poll.h
expect 1 "upward edge server/core -> server/http: server/core/poll.h includes server/http/handler.h" "$upward"

client=$(tree client)
echo '#include "../server/core/poll.h"' >>"$client"/ui/window.cpp
expect 1 "forbidden edge ui -> server/core" "$client"

starter=$(tree starter)
mkdir -p "$starter"/app
echo '#pragma once' >"$starter"/app/launch.h
echo '#include "../../app/launch.h"' >>"$starter"/server/http/handler.cpp
expect 1 "forbidden edge server/http -> app: server/http/handler.cpp includes app/launch.h" "$starter"

stray=$(tree stray)
mkdir -p "$stray"/server/extra
echo '#include "core/poll.h"' >"$stray"/server/extra/x.cpp
expect 1 "?server/extra is in no layer" "$stray"

((failures == 0)) && echo "selftest: check_layers.sh passes a clean graph and fails every bad one"
exit $((failures > 0))
