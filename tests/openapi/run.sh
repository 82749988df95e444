#!/usr/bin/env bash
# Installs the pinned npm packages (npm ci, once per lockfile) into a work directory
# and runs check.mjs against the binary named by TALLY_BINARY.
# Usage: run.sh <work-dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:?usage: run.sh <work-dir>}"
mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp "$here/check.mjs" "$work/"
exec node "$work/check.mjs" "$here/../../resources/api/openapi.json"
