#!/usr/bin/env bash
# Installs the Debian 12 packages Tally builds, runs and tests with. Idempotent.
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    qt6-base-dev qt6-httpserver-dev qt6-websockets-dev qt6-charts-dev libqt6opengl6-dev
    libqt6sql6-sqlite libhiredis-dev libqrencode-dev zlib1g-dev
    qt6-tools-dev qt6-l10n-tools qt6-translations-l10n
    redis-server redis-sentinel nginx wrk curl
    xvfb xauth imagemagick zbar-tools chromium
    clang clang-format libclang-rt-14-dev
    prometheus help2man lintian
)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "All build and test dependencies are installed."
    exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "Installing: ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
