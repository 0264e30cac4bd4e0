#!/bin/sh
# install-deps.sh — installs the Debian packages fedc builds, tests and benchmarks with.
# Needs root (or sudo). Only Debian's archive is used.
set -eu
PACKAGES="build-essential pkg-config libopenblas-dev libsqlite3-dev liblzma-dev clang-format dataset-fashion-mnist"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
echo "install-deps: installed $PACKAGES"
