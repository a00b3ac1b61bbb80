// IpcContracts benchmarks.
//   --quick         the side-by-side harness: one table of ratios against the named baselines (< 2 min)
//   full            the same with 10x the round trips and 5x the events
//   --only TEXT     (after --quick or full) only the steps whose name contains TEXT, e.g. "shm" or "raw"
//   bdn [args]      BenchmarkDotNet micro-benchmarks of the in-process pieces (BenchmarkDotNet's own arguments)
//   child ROLE ...  a child process of the harness (see Processes/Children.cs); not for direct use
using IpcContracts.Benchmarks.Harness;
using IpcContracts.Benchmarks.Micro;
using IpcContracts.Benchmarks.Processes;

return args switch
{
    [] or ["--quick"] => ComparativeHarness.Run(HarnessConfig.Quick),
    ["--quick", "--only", var step] => ComparativeHarness.Run(HarnessConfig.Quick, step),
    ["full"] or ["roundtrip"] => ComparativeHarness.Run(HarnessConfig.Full),
    ["full", "--only", var step] => ComparativeHarness.Run(HarnessConfig.Full, step),
    ["bdn", .. var rest] => MicroBenchmarks.Run(rest),
    ["child", .. var rest] => Children.Run(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: --quick [--only STEP] | full [--only STEP] | bdn [--filter '*' ...]");
    return 2;
}
