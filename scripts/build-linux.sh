#!/usr/bin/env bash
# Builds the Linux workload for tests and benchmarks: Linux 6.1 from Debian's linux-source-6.1 for
# QEMU's `virt` board, riscv64 (booted on OpenSBI, console on ttyS0) or aarch64 (booted with -kernel,
# console on the PL011, ttyAMA0), and an initramfs holding our own static init (scripts/linux/init.c)
# that prints the prompt `rewind-linux# `. The same init is left beside them, for tests that put it
# on a disk image and boot with `root=/dev/vda`.
#
# The result lives OUTSIDE the clone, keyed by a hash of every input (the recipe, the config fragment,
# the init source, the versions of the kernel package, cross compiler and C library):
#     ${REWIND_CACHE:-/var/cache/rewind}/linux-<hash>/{Image,initramfs.cpio.gz,init,vmlinux,config}
#     ${REWIND_CACHE:-/var/cache/rewind}/linux-aarch64-<hash>/...            (--arch aarch64)
# A second run with the same inputs builds nothing and prints that directory. The kernel alone is
# cached too (kernel-<hash>, kernel-aarch64-<hash>, keyed by its own inputs), so a change to init
# does not rebuild it.
#
#   scripts/build-linux.sh [--arch A]               build if needed; the last line printed is the
#                                                   directory (A: riscv64, the default, or aarch64)
#   scripts/build-linux.sh --print-path [--arch A]  print the directory the current inputs map to and
#                                                   build nothing (exit status 1 if it is not built)
# Installs the Debian packages it needs (apt) when run as root.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
self="$root/scripts/build-linux.sh"
init_src="$root/scripts/linux/init.c"
cache="${REWIND_CACHE:-/var/cache/rewind}"
common_packages=(linux-source-6.1 make bc bison flex libssl-dev libelf-dev cpio gzip xz-utils)

print_only=0
target=riscv64
while [ $# -gt 0 ]; do
  case "$1" in
    --print-path) print_only=1 ;;
    --arch)
      [ $# -ge 2 ] || { echo "build-linux: --arch needs riscv64 or aarch64" >&2; exit 2; }
      target="$2"
      shift
      ;;
    --arch=*) target="${1#--arch=}" ;;
    -h | --help) sed -n '2,21p' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-linux: unknown option '$1' (use --print-path, --arch riscv64|aarch64)" >&2; exit 2 ;;
  esac
  shift
done

# Per architecture: kernel ARCH and cross prefix, compiler and C library packages, the fragment, the
# Image kbuild leaves, and the prefix of the cache directories.
case "$target" in
  riscv64)
    arch=(ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-)
    cross=riscv64-linux-gnu
    gcc_pkg=gcc-riscv64-linux-gnu
    libc_pkg=libc6-dev-riscv64-cross
    fragment="$root/scripts/linux/virt.config"
    image=arch/riscv/boot/Image
    prefix=""
    ;;
  aarch64)
    arch=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
    cross=aarch64-linux-gnu
    gcc_pkg=gcc-aarch64-linux-gnu
    libc_pkg=libc6-dev-arm64-cross
    fragment="$root/scripts/linux/virt-aarch64.config"
    image=arch/arm64/boot/Image
    prefix="aarch64-"
    ;;
  *) echo "build-linux: unknown architecture '$target' (use riscv64 or aarch64)" >&2; exit 2 ;;
esac
packages=("${common_packages[@]}" "$gcc_pkg" "$libc_pkg")

version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }

# The kernel's inputs: the source package, the compiler, the fragment, and the recipe (bump
# kernel_recipe when build_kernel's steps change). The riscv64 key is the one this script always
# computed (recipe 1, no architecture named), so its cached kernel stays valid.
kernel_recipe=1
kernel_hash() {
  {
    echo "recipe $kernel_recipe"
    [ "$target" = riscv64 ] || echo "arch $target"
    echo "linux-source-6.1 $(version_of linux-source-6.1)"
    echo "$gcc_pkg $(version_of "$gcc_pkg")"
    sha256sum <"$fragment"
  } | sha256sum | cut -c1-16
}

# The recipe of the result around the kernel (init, the initramfs). For riscv64 it is pinned to the
# hash this script had before it learned --arch (the key then covered the whole script), so that
# teaching it other architectures does not move the riscv64 workload; change it (to any new string)
# when the riscv64 steps after build_kernel change. Other architectures hash the script itself.
workload_recipe() {
  if [ "$target" = riscv64 ]; then
    echo "01c8821228c1a2be137f27114ffd69d207252fb01c5b232d57b0aaef52fbf832  -"
  else
    sha256sum <"$self"
  fi
}

# Every input of the result: the kernel's, the C library, the recipe and init's source.
inputs_hash() {
  {
    kernel_hash
    echo "$libc_pkg $(version_of "$libc_pkg")"
    workload_recipe
    sha256sum <"$init_src"
  } | sha256sum | cut -c1-16
}

complete() { [ -f "$1/Image" ] && [ -f "$1/vmlinux" ] && [ -f "$1/initramfs.cpio.gz" ] && [ -x "$1/init" ]; }

if [ "$print_only" -eq 1 ]; then
  out="$cache/linux-$prefix$(inputs_hash)"
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
  cp "$src/$image" "$src/vmlinux" "$src/usr/gen_init_cpio" "$scratch/out/"
  cp "$src/.config" "$scratch/out/config"
  rm -rf "$dest"
  mv "$scratch/out" "$dest"
  rm -rf "$scratch"
}

install_packages
out="$cache/linux-$prefix$(inputs_hash)"
if complete "$out"; then
  echo "build-linux: up to date"
  echo "$out"
  exit 0
fi

started=$(date +%s)
mkdir -p "$cache"
scratch=""
trap '[ -z "$scratch" ] || rm -rf "$scratch"' EXIT
kernel="$cache/kernel-$prefix$(kernel_hash)"
if [ -f "$kernel/Image" ] && [ -f "$kernel/vmlinux" ] && [ -x "$kernel/gen_init_cpio" ]; then
  echo "build-linux: kernel up to date in $kernel"
else
  build_kernel "$kernel"
fi

echo "build-linux: building init and the initramfs"
scratch="$(mktemp -d "$cache/.linux-XXXXXX")"
nice -n 10 "$cross-gcc" -static -Os -Wall -Wextra -Werror -o "$scratch/init" "$init_src"
"$cross-strip" "$scratch/init"
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
