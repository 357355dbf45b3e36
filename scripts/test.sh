#!/usr/bin/env bash
# Full check: dependencies, reproducible guest binaries, then every test project of the solution.
# Exits non-zero if anything fails; the last lines printed are dotnet test's summary.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "$(id -u)" -eq 0 ]; then
  bash scripts/install-deps.sh || { echo "test.sh: installing dependencies failed" >&2; exit 1; }
elif ! command -v riscv64-unknown-elf-gcc >/dev/null 2>&1; then
  echo "test.sh: riscv64-unknown-elf-gcc missing; run scripts/install-deps.sh as root" >&2
  exit 1
fi

echo "== guests: make -C guests check"
make -C guests check || { echo "test.sh: guest ELFs in guests/bin differ from a fresh build (make -C guests all)" >&2; exit 1; }

# The style gate: .editorconfig's house style; the analyzers (AnalysisLevel in Directory.Build.props)
# already fail the build, since warnings are errors.
echo "== dotnet format Rewind.slnx --verify-no-changes"
format_status=0
dotnet format Rewind.slnx --verify-no-changes || { format_status=1; echo "test.sh: code differs from the house style (run: dotnet format Rewind.slnx)" >&2; }

# The Linux workloads (riscv64 and aarch64) the end-to-end tests boot: built once per machine, cached outside the clone
# (scripts/build-linux.sh prints where); a second run finds it and builds nothing.
echo "== scripts/build-linux.sh"
linux_status=0
bash scripts/build-linux.sh || { linux_status=1; echo "test.sh: building the Linux workload failed; the Linux tests will fail" >&2; }
echo "== scripts/build-linux.sh --arch aarch64"
bash scripts/build-linux.sh --arch aarch64 || { linux_status=1; echo "test.sh: building the aarch64 Linux workload failed; its tests will fail" >&2; }

echo "== dotnet test Rewind.slnx -c Release"
log="$(mktemp)"
dotnet test Rewind.slnx -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# One closing line in the plain form CI reads: totals over every test project.
awk '/^(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) { f = $i; gsub(/,/, "", f);
         if ($(i-1) == "Failed:") failed += f; if ($(i-1) == "Passed:") passed += f; if ($(i-1) == "Skipped:") skipped += f }
     }
     END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped }' "$log"
rm -f "$log"
[ "$status" -eq 0 ] && status=$format_status
[ "$status" -eq 0 ] && status=$linux_status
exit "$status"
