#!/usr/bin/env bash
# The project's fuzzers (tests/Rewind.Fuzz.Tests) in their long mode: every area tries SCALE times
# the inputs and time of the CI pass (default 20: about 25 minutes on an idle 2-core machine), then
# the per-area report lines are printed. Any crash, hang or wrong acceptance fails the run and is
# listed with the seed and input index that reproduce it.
#
#   bench/fuzz.sh [SCALE] [SEED]      (SEED: decimal or 0x..., default the CI seed)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export REWIND_FUZZ_SCALE="${1:-20}"
[ -n "${2:-}" ] && export REWIND_FUZZ_SEED="$2"
project=tests/Rewind.Fuzz.Tests
report="$project/bin/Release/net10.0/fuzz-report.txt"
rm -f "$report"
dotnet build "$project" -c Release -v quiet -nologo >/dev/null || { echo "fuzz.sh: build failed" >&2; exit 1; }
dotnet test "$project" -c Release --no-build --filter 'FullyQualifiedName!~SoakTests&FullyQualifiedName!~Regressions' >/tmp/fuzz-$$.log 2>&1
status=$?
echo "fuzz report (scale $REWIND_FUZZ_SCALE, machine load $(cut -d' ' -f1-3 /proc/loadavg)):"
cat "$report" 2>/dev/null || { echo "fuzz.sh: no report; test log follows" >&2; cat /tmp/fuzz-$$.log >&2; }
rm -f /tmp/fuzz-$$.log
exit "$status"
