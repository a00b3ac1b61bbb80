#!/usr/bin/env bash
# Instructions per 64 B round trip, both sides in one Native AOT process, counted by valgrind's callgrind
# (docs/benchmarks.md, "Instructions per round trip"). A count is exact and the same from run to run (within ~1%: lock contention inside System.IO.Pipelines varies a little),
# where a time on this VM moves by 2-3x between runs: it is how per-call work is compared between two builds.
# Needs valgrind, python3 and the Native AOT toolchain (clang, zlib1g-dev).
#   benchmarks/count-instructions.sh [endpoint scheme: inproc|pipe] [top N functions] [loop|events|items]
# The client of the first-call rows (benchmarks/IpcContracts.Benchmarks.FirstCall) has a "loop ENDPOINT N" mode: server
# and client in one process, N IFirstCallEcho calls. Two runs (N = 200 and 2,200) are subtracted, so start-up and
# shut-down cancel and what remains is 2,000 round trips. inproc (an in-memory pipe pair) leaves out the transport's
# system calls; shm is not counted, because its readers spin and valgrind runs one thread at a time. "events" counts
# per 64 B event instead (publisher and subscriber, the "events ENDPOINT N" mode: N events, then one round trip); "items"
# per 64 B item of one stream, server to caller (producer and consumer, the "items ENDPOINT N" mode).
set -euo pipefail
scheme=${1:-inproc}
top=${2:-25}
mode=${3:-loop}
case $mode in
    events) what="event (publisher + subscriber)" ;;
    items) what="stream item (producer + consumer)" ;;
    *) what="round trip (both sides)" ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/ipc-instructions.XXXXXX)
dotnet publish -c Release -r linux-x64 -p:StripSymbols=false -o "$out/aot" "$here/IpcContracts.Benchmarks.FirstCall" > "$out/publish.log"
# valgrind 3.19 cannot read the DWARF of a Native AOT binary ("possibly corrupted debuginfo"); the symbol table is enough.
objcopy --strip-debug "$out/aot/IpcContracts.Benchmarks.FirstCall" "$out/client"
for n in 200 2200; do
    endpoint="$scheme://ipc-count-$$-$n"
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.$n" "$out/client" "$mode" "$endpoint" $n > /dev/null 2> "$out/valgrind.$n.log"
    callgrind_annotate --threshold=100 "$out/cg.$n" 2>/dev/null | sed -n '/^Ir/,$p' | tail -n +3 > "$out/self.$n"
    callgrind_annotate --inclusive=yes --threshold=100 "$out/cg.$n" 2>/dev/null | sed -n '/^Ir/,$p' | tail -n +3 > "$out/inclusive.$n"
done
python3 - "$out" "$top" "$what" <<'PY'
import re, sys
out, top, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def totals(n): return int(re.search(r'totals: (\d+)', open(f'{out}/cg.{n}').read()).group(1))
def load(path):
    d = {}
    for line in open(path):
        m = re.match(r'\s*([\d,]+)\s+(?:\(.*?\)\s+)?(.*)', line)
        if m: d[m.group(2).strip()] = d.get(m.group(2).strip(), 0) + int(m.group(1).replace(',', ''))
    return d
print(f"instructions per {what}: {(totals(2200) - totals(200)) / 2000:,.0f}")
for kind in ("self", "inclusive"):
    a, b = load(f'{out}/{kind}.200'), load(f'{out}/{kind}.2200')
    rows = sorted(((b.get(k, 0) - a.get(k, 0)) / 2000, k) for k in set(a) | set(b) if 'PROGRAM TOTALS' not in k)
    print(f"\ntop {top} functions per {what.split(' (')[0]}, {kind}:")
    for v, k in reversed(rows[-top:]):
        name = re.sub(r' \[.*\]$', '', k.split(':', 1)[-1])[:140]
        print(f"{v:10,.0f}  {name}")
PY
echo "(callgrind files in $out)"
