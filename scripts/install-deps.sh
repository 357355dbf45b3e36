#!/usr/bin/env bash
# Installs the Debian packages Rewind's build, guests and tests use. Idempotent: does nothing when
# every package is already installed. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  gcc-riscv64-unknown-elf
  gcc-aarch64-linux-gnu
  libc6-dev-arm64-cross
  picolibc-riscv64-unknown-elf
  gdb-multiarch
  qemu-system-misc
  qemu-system-arm
  qemu-utils
  e2fsprogs
  opensbi
  u-boot-qemu
  device-tree-compiler
  e2fsprogs
  make
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: not root and no sudo; install these packages: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
