#!/usr/bin/env bash
# Runs the browser spec: installs the pinned npm packages into the build tree when
# they are missing or the lockfile changed, then runs the spec with node.
#
#   tests/browser/run.sh BUILD_DIR SPEC
set -euo pipefail
dir=$1
spec=$2
for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is required (Node.js 20 or later)" >&2; exit 1; }
done
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || { echo "$0: chromium is required (packaging/deps.sh installs it)" >&2; exit 1; }
if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.tally-lock"; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.tally-lock"
fi
NODE_MODULES_DIR=$dir exec node "$spec"
