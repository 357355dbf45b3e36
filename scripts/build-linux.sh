#!/usr/bin/env bash
# Builds the Linux workload for tests and benchmarks: Linux 6.1 for riscv64 (QEMU's `virt` board,
# console on ttyS0) from Debian's linux-source-6.1, and an initramfs holding our own static init
# (scripts/linux/init.c) that prints the prompt `rewind-linux# `. The same init is left beside them,
# for tests that put it on a disk image and boot with `root=/dev/vda`.
#
# The result lives OUTSIDE the clone, keyed by a hash of every input (this script, the config
# fragment, the init source, the versions of the kernel package, cross compiler and C library):
#     ${REWIND_CACHE:-/var/cache/rewind}/linux-<hash>/{Image,initramfs.cpio.gz,init,vmlinux,config}
# A second run with the same inputs builds nothing and prints that directory. The kernel alone is
# cached too (kernel-<hash>, keyed by its own inputs), so a change to init does not rebuild it.
#
#   scripts/build-linux.sh               build if needed; the last line printed is the directory
#   scripts/build-linux.sh --print-path  print the directory the current inputs map to and build
#                                        nothing (exit status 1 if it is not built yet)
# Installs the Debian packages it needs (apt) when run as root.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
self="$root/scripts/build-linux.sh"
fragment="$root/scripts/linux/virt.config"
init_src="$root/scripts/linux/init.c"
cache="${REWIND_CACHE:-/var/cache/rewind}"
arch=(ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-)
packages=(linux-source-6.1 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross make bc bison flex
  libssl-dev libelf-dev cpio gzip xz-utils)

print_only=0
case "${1:-}" in
  "") ;;
  --print-path) print_only=1 ;;
  -h | --help) sed -n '2,16p' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build-linux: unknown option '$1' (use --print-path or nothing)" >&2; exit 2 ;;
esac

version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }

# The kernel's inputs: the source package, the compiler, the fragment, and the recipe (bump
# kernel_recipe when build_kernel's steps change).
kernel_recipe=1
kernel_hash() {
  {
    echo "recipe $kernel_recipe"
    echo "linux-source-6.1 $(version_of linux-source-6.1)"
    echo "gcc-riscv64-linux-gnu $(version_of gcc-riscv64-linux-gnu)"
    sha256sum <"$fragment"
  } | sha256sum | cut -c1-16
}

# Every input of the result: the kernel's, the C library, this script and init's source.
inputs_hash() {
  {
    kernel_hash
    echo "libc6-dev-riscv64-cross $(version_of libc6-dev-riscv64-cross)"
    sha256sum <"$self"
    sha256sum <"$init_src"
  } | sha256sum | cut -c1-16
}

complete() { [ -f "$1/Image" ] && [ -f "$1/vmlinux" ] && [ -f "$1/initramfs.cpio.gz" ] && [ -x "$1/init" ]; }

if [ "$print_only" -eq 1 ]; then
  out="$cache/linux-$(inputs_hash)"
  echo "$out"
  complete "$out"
  exit
fi

# Two builds at once (a test run beside a benchmark, say) would both unpack and compile the kernel;
# the second waits here and then finds the first one's result.
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "build-linux: missing Debian packages (install them as root): ${missing[*]}" >&2
    exit 1
  fi
  echo "build-linux: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" ||
    { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# Unpacks the kernel source, configures it (tinyconfig + the fragment) and builds Image and vmlinux
# into $1, with the host tool that packs the initramfs.
build_kernel() {
  local dest="$1" tarball=/usr/src/linux-source-6.1.tar.xz src line want dropped=0
  [ -f "$tarball" ] || { echo "build-linux: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
  scratch="$(mktemp -d "$cache/.kernel-XXXXXX")"
  echo "build-linux: unpacking $tarball into $scratch"
  tar -xJf "$tarball" -C "$scratch"
  src="$scratch/linux-source-6.1"

  echo "build-linux: configuring (tinyconfig + $(basename "$fragment"))"
  make -C "$src" -s "${arch[@]}" tinyconfig >/dev/null
  (cd "$src" && scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null)
  make -C "$src" -s "${arch[@]}" olddefconfig >/dev/null
  # Every option the fragment asks for must survive olddefconfig (a missing dependency drops it).
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=* | "# CONFIG_"*" is not set") want="$line" ;;
      *) continue ;;
    esac
    grep -qxF "$want" "$src/.config" || { echo "build-linux: config lost '$want'" >&2; dropped=1; }
  done <"$fragment"
  [ "$dropped" -eq 0 ] || { echo "build-linux: the config fragment does not apply; fix $fragment" >&2; exit 1; }

  echo "build-linux: building the kernel (nice make -j$(nproc))"
  nice -n 10 make -C "$src" -s "${arch[@]}" -j"$(nproc)" Image vmlinux

  mkdir "$scratch/out"
  # The kernel's own initramfs packer (kbuild builds it for vmlinux; built here if it did not).
  [ -x "$src/usr/gen_init_cpio" ] || cc -O2 -o "$src/usr/gen_init_cpio" "$src/usr/gen_init_cpio.c"
  cp "$src/arch/riscv/boot/Image" "$src/vmlinux" "$src/usr/gen_init_cpio" "$scratch/out/"
  cp "$src/.config" "$scratch/out/config"
  rm -rf "$dest"
  mv "$scratch/out" "$dest"
  rm -rf "$scratch"
}

install_packages
out="$cache/linux-$(inputs_hash)"
if complete "$out"; then
  echo "build-linux: up to date"
  echo "$out"
  exit 0
fi

started=$(date +%s)
mkdir -p "$cache"
scratch=""
trap '[ -z "$scratch" ] || rm -rf "$scratch"' EXIT
kernel="$cache/kernel-$(kernel_hash)"
if [ -f "$kernel/Image" ] && [ -f "$kernel/vmlinux" ] && [ -x "$kernel/gen_init_cpio" ]; then
  echo "build-linux: kernel up to date in $kernel"
else
  build_kernel "$kernel"
fi

echo "build-linux: building init and the initramfs"
scratch="$(mktemp -d "$cache/.linux-XXXXXX")"
nice -n 10 riscv64-linux-gnu-gcc -static -Os -Wall -Wextra -Werror -o "$scratch/init" "$init_src"
riscv64-linux-gnu-strip "$scratch/init"
touch -d @0 "$scratch/init"
cat >"$scratch/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /tmp 1777 0 0
dir /mnt 0755 0 0
file /init $scratch/init 0755 0 0
LIST
# Fixed timestamps (-t for directories and nodes, touch for files) keep the archive the same from one
# build to the next.
"$kernel/gen_init_cpio" -t 0 "$scratch/initramfs.list" | gzip -9n >"$scratch/initramfs.cpio.gz"

mkdir "$scratch/out"
cp "$kernel/Image" "$kernel/vmlinux" "$kernel/config" "$scratch/initramfs.cpio.gz" "$scratch/out/"
cp -p "$scratch/init" "$scratch/out/init"
rm -rf "$out"
mv "$scratch/out" "$out"
echo "build-linux: built in $(($(date +%s) - started)) s"
echo "$out"
