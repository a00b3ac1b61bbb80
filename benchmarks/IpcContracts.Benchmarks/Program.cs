// IpcContracts benchmarks.
//   --quick         the side-by-side harness: one table of ratios against the named baselines (< 2 min)
//   full            the same with 10x the round trips and 5x the events
//   --only TEXT     (with --quick or full) only the steps whose name contains TEXT, e.g. "shm" or "raw"
//   --load N        (with --quick or full) N CPU-bound spinners in another process for the whole run (1 to 64)
//   counts [--load N] [--only TEXT] [--events N] [--rounds R]   hand-offs per 64 B round trip and per 24 MiB transfer, CPU and bytes per 64 B event: work items, context switches, system calls
//   bdn [args]      BenchmarkDotNet micro-benchmarks of the in-process pieces (BenchmarkDotNet's own arguments)
//   nats-cpu [--events N] [--runs K] [--flood] [--only raw-nats,nats,pipe]  CPU and bytes per 64 B event, publisher and subscriber: raw NATS, nats://, pipe://
//   alloc [pipe|tcp|shm ...]  only the allocation rows (bytes per round trip and per event, both processes), seconds
//   alloc-types [pipe|tcp|shm|inproc|nats] [--rounds N] [--kind value|task|event|flood]  which types those bytes are (sampled, one process)
//   ring-bulk [--runs N] [--piece BYTES ...]  24 MiB through the shm ring in one process (no frames), against memcpy: the ring's own floor
//   idle [pipe|tcp|shm|inproc ...] [--seconds N]  wake-ups per second of this process's threads with and without one idle connection pair (Linux)
//   child ROLE ...  a child process of the harness (see Processes/Children.cs); not for direct use
using IpcContracts.Benchmarks.Harness;
using IpcContracts.Benchmarks.Micro;
using IpcContracts.Benchmarks.Processes;

if (args is ["bdn", .. var bdnArgs]) return MicroBenchmarks.Run(bdnArgs);
if (args is ["child", .. var childArgs]) return Children.Run(childArgs);
if (args is ["alloc", .. var transports]) return AllocationRows.Run(transports);
if (args is ["alloc-types", .. var typeArgs]) return AllocationTypes.Run(typeArgs);
if (args is ["counts", .. var countArgs]) return HandoffCounts.Run(countArgs);
if (args is ["nats-cpu", .. var natsCpuArgs]) return NatsCpu.Run(natsCpuArgs);
if (args is ["ring-bulk", .. var ringArgs]) return RingBulk.Run(ringArgs);
if (args is ["idle", .. var idleArgs]) return IdleWakeups.Run(idleArgs);

// The harness: [--quick | full] [--load N] [--only STEP], in any order.
var config = HarnessConfig.Quick;
string? only = null;
var load = 0;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick": config = HarnessConfig.Quick; break;
        case "full" or "roundtrip": config = HarnessConfig.Full; break;
        case "--only" when i + 1 < args.Length: only = args[++i]; break;
        case "--load" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n is >= 1 and <= 64: load = n; i++; break;
        default: return Usage();
    }
}
return ComparativeHarness.Run(config, only, load);

static int Usage()
{
    Console.Error.WriteLine("usage: [--quick | full] [--load N] [--only STEP] | bdn [--filter '*' ...]");
    return 2;
}
