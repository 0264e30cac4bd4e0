#!/bin/sh
# setup.sh — one command for a fresh Debian 12 machine: install the packages, build fedc, show it.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
make -j"$(nproc)"
./build/fedc info
