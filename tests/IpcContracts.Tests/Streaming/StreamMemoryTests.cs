using System.Globalization;
using System.Text.RegularExpressions;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Streaming;

/// <summary>
/// Bounded memory: 1 GiB as a stream of 64 KiB items, and 1 GiB of bytes as a Stream result, from one process to
/// another, consumed slower than it is produced. Both processes are test hosts that sample their own working set; the credit window (by default 1 MiB for items, 4 MiB for bytes)
/// must keep the growth of each below 64 MiB. No timing is asserted.
/// </summary>
public abstract class StreamMemoryTests(string transport)
{
    private const long Limit = 64L * 1024 * 1024;

    [Fact]
    public Task A_1_GiB_stream_of_64_KiB_items_to_a_slower_consumer_grows_neither_process_by_64_MiB() =>
        AssertBoundedAsync("gib:16384", @"OK gib items=(\d+) baseline=(\d+) max=(\d+)", "16384");

    [Fact]
    public Task A_1_GiB_Stream_result_read_slower_than_it_is_produced_grows_neither_process_by_64_MiB() =>
        AssertBoundedAsync("gibbytes:1024", @"OK gibbytes bytes=(\d+) baseline=(\d+) max=(\d+)", (1024L * 1024 * 1024).ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Runs a consumer host scenario against a producer host, then checks what the consumer read (its first number) and
    /// that neither process's working set grew by the limit.
    /// </summary>
    private async Task AssertBoundedAsync(string scenario, string okLine, string expectedCount)
    {
        await using var server = await HostProcess.StartServerAsync(Endpoints.For(transport));
        await using var consumer = HostProcess.StartClient(server.Endpoint, scenario);

        var exitCode = await consumer.WaitForExitAsync(TimeSpan.FromMinutes(5));
        Assert.True(exitCode == 0, $"The consumer exited with {exitCode}:\n{string.Join("\n", consumer.Lines)}\nThe producer:\n{string.Join("\n", server.Lines)}");
        var ok = Regex.Match(string.Join("\n", consumer.Lines), okLine);
        Assert.True(ok.Success, string.Join("\n", consumer.Lines));
        Assert.Equal(expectedCount, ok.Groups[1].Value);
        long consumerGrowth = long.Parse(ok.Groups[3].Value, CultureInfo.InvariantCulture) - long.Parse(ok.Groups[2].Value, CultureInfo.InvariantCulture);

        server.SendLine("ws");
        await server.WaitForLineAsync("WS ");
        var ws = server.Lines.Last(l => l.StartsWith("WS ", StringComparison.Ordinal)).Split(' ');
        long producerGrowth = long.Parse(ws[2], CultureInfo.InvariantCulture) - long.Parse(ws[1], CultureInfo.InvariantCulture);

        Assert.True(consumerGrowth < Limit, $"the consumer's working set grew by {consumerGrowth / (1024 * 1024)} MiB");
        Assert.True(producerGrowth < Limit, $"the producer's working set grew by {producerGrowth / (1024 * 1024)} MiB");
    }
}

public sealed class PipeStreamMemory() : StreamMemoryTests("pipe");
public sealed class ShmStreamMemory() : StreamMemoryTests("shm");
