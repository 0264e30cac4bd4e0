#!/bin/sh
# setup.sh — one command for a fresh Debian 12 machine: install the packages, build fedc, and run
# the main job (federated training on Fashion-MNIST).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
make -j"$(nproc)"
./build/fedc info
./build/fedc train
