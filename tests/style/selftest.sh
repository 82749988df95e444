#!/usr/bin/env bash
# Shows that check_format.sh can fail: a tree with one formatted and one unformatted file.
#   selftest.sh <clang-format binary>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
format=${1:-clang-format}
tmp=$(mktemp -d /tmp/tally-format.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$here/../../.clang-format" "$tmp/"
mkdir -p "$tmp/server/core"
printf 'int answer()\n{\n    return 42;\n}\n' >"$tmp/server/core/good.cpp"
status=0
out=$("$here/check_format.sh" "$tmp" "$format" 2>&1) || status=$?
[[ $status == 0 && $out == *"every C++ file is clang-formatted"* ]] ||
    { echo "FAIL: a formatted tree was refused: $out"; exit 1; }
printf 'int  answer( ) { return 42; }\n' >"$tmp/server/core/bad.cpp"
status=0
out=$("$here/check_format.sh" "$tmp" "$format" 2>&1) || status=$?
[[ $status == 1 && $out == *"server/core/bad.cpp is not clang-formatted"* && $out != *good.cpp* ]] ||
    { echo "FAIL: an unformatted file was not named: exit $status: $out"; exit 1; }
echo "check_format.sh passes a formatted tree and names an unformatted file"
