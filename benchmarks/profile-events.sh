#!/usr/bin/env bash
# CPU per event by call subtree, from a perf profile of `counts --only TRANSPORT-events` (docs/benchmarks.md, "CPU per event
# in the core's publish and receive path"). Needs perf and python3; build first:
#   dotnet build -c Release benchmarks/IpcContracts.Benchmarks
#   benchmarks/profile-events.sh [shm|pipe|tcp] [rounds] [output prefix]
# Prints, per process (publisher, subscriber), samples of each subtree x sample period / events sent: ns of CPU per event
# spent under that frame, which leaves out idle spinning and time the thread was not running.
set -euo pipefail
transport=${1:-shm}
rounds=${2:-10}
out=${3:-/tmp/ipc-events-$transport}
here=$(cd "$(dirname "$0")" && pwd)
dll=$here/IpcContracts.Benchmarks/bin/Release/net10.0/IpcContracts.Benchmarks.dll
freq=4999
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# W^X off: with it on, JIT code runs from a double-mapped memfd region and perf does not use the perf map for it.
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record -q -F $freq -g -o "$out.data" -- \
    dotnet "$dll" counts --only "$transport-events" --rounds "$rounds" 2>"$out.err" | grep "^| $transport" || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Keep the perf maps with the data (a shared /tmp may be cleaned); copy them back to /tmp to read the data again later.
mkdir -p "$out.maps"
for p in $(perf script -i "$out.data" -F pid 2>/dev/null | sort -u); do cp "/tmp/perf-$p.map" "$out.maps/" 2>/dev/null || true; done
events=$(grep -o "[0-9,]* events in all" "$out.err" | tr -d , | cut -d' ' -f1)
perf script -i "$out.data" -F pid,tid,comm,ip,sym 2>/dev/null | python3 -c '
import sys, collections
events, period = int(sys.argv[1]), 1e9 / int(sys.argv[2])
subtrees = {
    "read loop": "<ReadLoopAsync>d__", "ring read (shm)": "ShmPipeReader::ReadAsync", "HandleFrame": "IpcConnection::HandleFrame",
    "OnEvent": "InboundEventQueue::OnEvent", "DeliverInline": "InboundEventQueue::DeliverInline",
    "event loop": "InboundEventQueue+<RunAsync>d__", "argument JSON (Parse_)": "::Parse_",
    "Publish": "IOutboundChannel.Publish", "FrameBuilder.Args": "FrameBuilder::Args", "FrameSender.Drain": "FrameSender::Drain",
}
total, hits = collections.Counter(), collections.Counter()
pid, frames = None, []
def flush():
    if pid is None: return
    total[pid] += 1
    for name, pattern in subtrees.items():
        if any(pattern in f for f in frames): hits[(pid, name)] += 1
for line in sys.stdin:
    if line.startswith("\t"):
        frames.append(line)
    elif line.strip():
        flush(); frames = []; pid = None
        for word in line.split():
            if "/" in word and word.replace("/", "").isdigit(): pid = int(word.split("/")[0])
flush()
print(f"{events:,} events; CPU ns per event by subtree")
for p, n in total.most_common(2):
    print(f"  pid {p}: whole process {n * period / events:.0f}" +
          "".join(f"; {name} {hits[(p, name)] * period / events:.0f}" for name in subtrees if hits[(p, name)] * period / events >= 1))
' "$events" "$freq"
