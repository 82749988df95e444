#!/usr/bin/env bash
# Fails when a C++ file of the project differs from what clang-format makes of it with
# the project's .clang-format; names each such file and its first differing lines.
#   check_format.sh <source dir> [clang-format binary]
set -euo pipefail
root=${1:?usage: check_format.sh <source dir> [clang-format]}
format=${2:-clang-format}
cd "$root"
unformatted=0
while IFS= read -r -d '' file; do
    if ! out=$("$format" --dry-run -Werror "$file" 2>&1); then
        echo "$file is not clang-formatted:"
        echo "$out" | head -6
        unformatted=$((unformatted + 1))
    fi
done < <(find app server ui protocol tests bench -type f \( -name '*.cpp' -o -name '*.h' \) \
    -not -path '*/node_modules/*' -print0 2>/dev/null | sort -z)
if ((unformatted > 0)); then
    echo "$unformatted file(s) need clang-format -i (see .clang-format)"
    exit 1
fi
echo "every C++ file is clang-formatted"
