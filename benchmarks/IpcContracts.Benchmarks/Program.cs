// Side-by-side measurements in one run. `--quick` prints round-trip latency of a small request over
// every transport, each against a server in a second process. `--serve ENDPOINT` is that server.
using IpcContracts.Benchmarks;

if (args is ["--serve", var endpoint, var spin]) return await EchoServer.RunAsync(endpoint, int.Parse(spin));
if (args.Length == 0 || args[0] is "--quick" or "roundtrip")
{
    await RoundTripHarness.RunAsync(quick: args.Length == 0 || args[0] == "--quick");
    return 0;
}
Console.Error.WriteLine("usage: [--quick | roundtrip]   (roundtrip = longer runs)");
return 2;
