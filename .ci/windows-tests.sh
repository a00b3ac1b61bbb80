#!/usr/bin/env bash
# The Windows part of CI (README "Platforms"), run by .ci/run after the Linux tests, or alone:
#
#   .ci/windows-tests.sh [--transport pipe|shm|tcp]... [--no-quickstart] [-- EXTRA XUNIT ARGS]
#
# We have no Windows machine: Windows builds of the code run under Wine. This script installs Wine when it is missing,
# makes a fresh Wine prefix in a temporary directory, publishes tests/IpcContracts.Windows.Tests (an xunit v3 program),
# tests/IpcContracts.TestHost (its second process) and samples/Quickstart self-contained for win-x64, runs the test
# program and the quickstart (over pipe, shm and tcp) under Wine, and prints one closing line, "Windows: N passed,
# N failed", counted from the test program's JUnit file plus one case per quickstart transport. Any failure, a run that
# hangs (killed by timeout), or a missing or empty JUnit file makes it exit non-zero.
#
# --transport NAME (repeatable) runs only that transport's cases (xunit trait "transport") and quickstart run; arguments
# after -- go to the test program (e.g. -- -method '*Kill*'). IPC_WINDOWS_TIMEOUT (seconds, default 600) bounds the
# test program's run; each quickstart run has 180 s.
#
# Wine 8 workarounds (issue 15): DOTNET_EnableWriteXorExecute=0 here, Switch.System.Reflection.ForceEmitInvoke in the
# test project; every Wine run is under `timeout` and followed by `wineserver -k` (a hung Windows process is ended).
set -euo pipefail
cd "$(dirname "$0")/.."

transports=()
quickstart=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --transport) [ $# -ge 2 ] || { echo "--transport needs pipe, shm or tcp" >&2; exit 2; }
                 case "$2" in pipe|shm|tcp) transports+=("$2") ;; *) echo "unknown transport '$2' (pipe, shm, tcp)" >&2; exit 2 ;; esac
                 shift 2 ;;
    --no-quickstart) quickstart=0; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--transport pipe|shm|tcp]... [--no-quickstart] [-- EXTRA XUNIT ARGS]" >&2; exit 2 ;;
  esac
done
[ ${#transports[@]} -gt 0 ] || transports=(pipe shm tcp)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
command -v dotnet >/dev/null || { echo "The Windows tests need the .NET 10 SDK on PATH." >&2; exit 1; }

echo "== Windows: Wine =="
if ! command -v wine >/dev/null || ! command -v wineserver >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Both packages: wine64 alone puts no `wine` on PATH. One retry: another apt-get may hold the dpkg lock for a while.
  install_wine() { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends wine64 wine >/dev/null; }
  install_wine || { echo "apt-get failed (dpkg lock busy?); retrying in 30 s" >&2; sleep 30; install_wine; }
fi
wine --version 2>/dev/null # (stderr: Debian's hint to add 32-bit Wine, which .NET's win-x64 builds do not need)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ipc-windows.XXXXXX")"
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all DOTNET_EnableWriteXorExecute=0
cleanup() {
  wineserver -k 2>/dev/null || true
  rm -rf "$WORK"
  # The self-contained copies publish leaves in bin/ (80 MB each); obj/ keeps what incremental builds need.
  rm -rf tests/IpcContracts.Windows.Tests/bin/Debug/net10.0/win-x64 tests/IpcContracts.TestHost/bin/Debug/net10.0/win-x64 \
    samples/Quickstart/bin/Debug/net10.0/win-x64
}
trap cleanup EXIT

timeout 120 wine wineboot --init >/dev/null 2>&1
# A new Wine 8 prefix reports Windows 7; .NET 10 supports Windows 10 and later, so test as that.
timeout 60 wine winecfg /v win10 >/dev/null 2>&1
wineserver -w
# Wine copies its ~650 MB of PE DLLs into every prefix; hard links to the installed files (same content, checked) keep
# the prefix at ~80 MB. Where the prefix is on another file system the copies stay.
dlls=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
if [ -d "$dlls" ]; then
  for f in "$WINEPREFIX"/drive_c/windows/system32/*; do
    name="$(basename "$f")"
    [ -f "$f" ] && [ -f "$dlls/$name" ] && cmp -s "$f" "$dlls/$name" && { ln -f "$dlls/$name" "$f" 2>/dev/null || true; }
  done
fi
echo "Wine prefix $WINEPREFIX ready after $SECONDS s"

echo "== Windows: publish for win-x64 (self-contained) =="
# Debug, like the Linux build before this: the RID-agnostic libraries are reused from it. PublishAot=false: the host and
# the quickstart are Native AOT projects, which cannot be compiled for Windows on Linux; the JIT build runs the same code.
publish() { dotnet publish "$1" -c Debug -r win-x64 --self-contained -p:PublishAot=false -o "$2" -nologo -v quiet -clp:ErrorsOnly; }
publish tests/IpcContracts.Windows.Tests "$WORK/tests"
publish tests/IpcContracts.TestHost "$WORK/tests/host"
[ $quickstart -eq 1 ] && publish samples/Quickstart "$WORK/quickstart"

echo "== Windows: test program under Wine (transports: ${transports[*]}) =="
junit="$WORK/windows-tests.junit.xml"
filters=()
for t in "${transports[@]}"; do filters+=(-trait "transport=$t"); done
set +e
(cd "$WORK/tests" && timeout --kill-after=15 "${IPC_WINDOWS_TIMEOUT:-600}" \
  wine IpcContracts.Windows.Tests.exe -noColor -result-junit "$junit" "${filters[@]}" "${extra[@]}")
rc=$?
set -e
# -k only signals the server; -w waits until it has gone. A wine started while the old server is still dying can exit
# 1 at once with no output (CI at 0be0bf7: the pipe quickstart, the first run after the test program).
wineserver -k 2>/dev/null || true
wineserver -w 2>/dev/null || true
hung=0
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then hung=1; echo "The Windows test program did not finish in ${IPC_WINDOWS_TIMEOUT:-600} s and was killed: a failure." >&2; fi

# The counts come from the JUnit file (sums over its <testsuite> elements), not from xunit's own summary.
sum_attr() { grep -o "<testsuite [^>]*>" "$junit" | grep -o " $1=\"[0-9]*\"" | grep -o "[0-9]*" | awk '{s+=$1} END {print s+0}'; }
tests=0 failures=0 errors=0 skipped=0
if [ -s "$junit" ]; then
  tests=$(sum_attr tests); failures=$(sum_attr failures); errors=$(sum_attr errors); skipped=$(sum_attr skipped)
fi
passed=$((tests - failures - errors - skipped))
failed=$((failures + errors))
if [ ! -s "$junit" ] || [ "$tests" -eq 0 ]; then
  echo "The Windows test program wrote no JUnit results (exit code $rc): counted as a failure." >&2
  failed=$((failed + 1))
elif [ $hung -eq 1 ] || { [ $rc -ne 0 ] && [ $failed -eq 0 ]; }; then
  echo "The Windows test program exited with code $rc: counted as a failure." >&2
  failed=$((failed + 1))
fi
summary="test program: $tests cases, $passed passed, $((failures + errors)) failed, $skipped skipped (exit code $rc)"

if [ $quickstart -eq 1 ]; then
  echo "== Windows: quickstart under Wine =="
  for t in "${transports[@]}"; do
    log="$WORK/quickstart-$t.log"
    set +e
    (cd "$WORK/quickstart" && timeout --kill-after=15 180 wine Quickstart.exe --transport "$t" >"$log" 2>&1)
    qrc=$?
    set -e
    wineserver -k 2>/dev/null || true
    wineserver -w 2>/dev/null || true
    if [ $qrc -eq 0 ] && grep -q "^quickstart: OK" "$log"; then
      passed=$((passed + 1)); summary="$summary; quickstart $t: OK"
    else
      failed=$((failed + 1)); summary="$summary; quickstart $t: FAILED (exit code $qrc)"
      echo "-- quickstart --transport $t (exit code $qrc), last lines:"; tail -n 25 "$log"
    fi
  done
fi

echo "$summary; $SECONDS s in all"
echo "Windows: $passed passed, $failed failed"
[ $failed -eq 0 ]
