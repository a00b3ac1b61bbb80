using System.Globalization;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// The same contracts over a NATS broker (nats://), across real processes: the test process and
/// tests/IpcContracts.TestHost processes, each with its own connection to the broker.
/// </summary>
public sealed class NatsCrossProcessTests
{
    // No call deadline: a call that is never answered hangs until the bounded WaitAsync below fails the test, so passing
    // shows the answer came from the broker path under test (reply, no-responders, cancel), not from a timeout.
    private static IpcOptions NoDeadline() => new() { DefaultCallTimeout = Timeout.InfiniteTimeSpan };

    [NatsFact]
    public async Task A_request_and_a_remote_exception_cross_the_broker_and_a_contract_nobody_serves_fails_at_once_with_a_mismatch()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint, options: NoDeadline());
        var calc = client.Proxy<ICalculator>();

        Assert.Equal(42, await calc.GetAnswerAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(new Totals(10, "t"), await calc.SumAsync([1, 2, 3, 4], "t", false).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        var remote = await Assert.ThrowsAsync<RemoteInvocationException>(() => calc.ThrowAsync("from the other process").WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("from the other process", remote.RemoteMessage);
        Assert.Equal(typeof(InvalidOperationException).FullName, remote.RemoteType);

        var mismatch = await Assert.ThrowsAsync<ContractMismatchException>(() => client.Proxy<IUnhandled>().NobodyAnswersAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("test.unhandled", mismatch.Contract);
        Assert.Contains("no responders", mismatch.Message, StringComparison.Ordinal);
        Assert.True(client.Connection.IsConnected, "a mismatch fails that call only");
        Assert.Equal(42, await calc.GetAnswerAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [NatsFact]
    public async Task Cancelling_a_call_cancels_the_handler_in_the_serving_process()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint, options: NoDeadline());
        using var cts = new CancellationTokenSource();
        var call = client.Proxy<ICalculator>().WaitUntilCancelledAsync("nats-probe", cts.Token);

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        await host.WaitForLineAsync("CANCELLED nats-probe"); // the handler's token fired in the other process
    }

    [NatsFact]
    public async Task Two_server_processes_share_the_requests_of_one_contract()
    {
        // The must-show: 10,000 requests. They go in concurrent batches (each batch's answers checked) so the run
        // stays short while every request is a separate NATS message that the queue group assigns on its own.
        const int Calls = 10_000, Batch = 250;
        var endpoint = NatsBroker.NewEndpoint();
        await using var first = await HostProcess.StartServerAsync(endpoint);
        await using var second = await HostProcess.StartServerAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var calc = client.Proxy<ICalculator>();

        for (var batch = 0; batch < Calls / Batch; batch++)
        {
            var sums = await Task.WhenAll(Enumerable.Range(0, Batch).Select(i => calc.AddAsync(batch, i))).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Enumerable.Range(0, Batch).Select(i => batch + i), sums);
        }

        var a = await ServedAsync(first);
        var b = await ServedAsync(second);
        Assert.Equal(Calls, a + b);
        // NATS picks a queue member at random per message: each gets about half (5,000, standard deviation 50), so a share
        // below a quarter (2,500) is 50 deviations out: it fails only when one process is starved, never by chance.
        Assert.True(a >= Calls / 4 && b >= Calls / 4, $"the load was not shared: {a} and {b} of {Calls}");
    }

    /// <summary>
    /// Only the process that took a Request has its call: the argument stream goes to that process (its P.up.J subject),
    /// never to the queue group, which would hand items to the other process. With two handler processes and concurrent
    /// calls, NATS gives each Request to either at random (40 calls all to one: chance 2^-39), so a stream sent to the
    /// queue group would lose items and the sums would be wrong or the calls would time out.
    /// </summary>
    [NatsFact]
    public async Task With_two_handler_processes_each_argument_stream_reaches_the_process_that_took_its_request()
    {
        const int Calls = 40;
        var endpoint = NatsBroker.NewEndpoint();
        await using var first = await HostProcess.StartServerAsync(endpoint);
        await using var second = await HostProcess.StartServerAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var streams = client.Proxy<IStreams>();

        var sums = await Task.WhenAll(Enumerable.Range(1, Calls).Select(n => streams.SumAsync(Count(n * 100)))).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(1, Calls).Select(n => (long)(n * 100) * (n * 100 + 1) / 2), sums);

        static async IAsyncEnumerable<int> Count(int count)
        {
            for (int i = 1; i <= count; i++)
            {
                if (i % 256 == 0) await Task.Yield();
                yield return i;
            }
        }
    }

    /// <summary>
    /// A request over the broker's max_payload (1 MiB by default, headers included) cannot be published: the call fails at
    /// once with the reason, the connection stays up, and the next call works. 2 MiB of bytes both ways, and a request
    /// whose frame fits but whose frame and NATS headers (Ipc-Fp, Ipc-Sig) together do not. A reply over it crosses in
    /// parts (docs/protocol.md section 9, "A frame in parts"), and so does a stream item; a reply over what the caller takes
    /// (IpcOptions.MaxPayloadLength) fails that call only, told from its first part.
    /// </summary>
    [NatsFact]
    public async Task A_request_over_the_brokers_max_payload_fails_that_call_only_and_a_reply_or_stream_item_over_it_crosses_in_parts()
    {
        const int TwoMiB = 2 * 1024 * 1024;
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint, options: NoDeadline());
        var calc = client.Proxy<ICalculator>();

        // Refused by the caller's transport before anything is sent (Error bad_payload from the transport to its core).
        var argument = await Assert.ThrowsAsync<IpcProtocolException>(() => calc.SizeOfAsync(new byte[TwoMiB]).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("The request is 2097", argument.Message, StringComparison.Ordinal);
        Assert.Contains("up to 1048576 bytes (its max_payload)", argument.Message, StringComparison.Ordinal);
        Assert.Contains("Stream", argument.Message, StringComparison.Ordinal);
        Assert.True(client.Connection.IsConnected, "an oversized call fails that call only");
        Assert.Equal(42, await calc.GetAnswerAsync().WaitAsync(TimeSpan.FromSeconds(10)));

        // The handler ran in the other process; its transport published the 2 MiB reply in three parts.
        var result = await calc.MakeBytesAsync(TwoMiB, 3).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(Patterns.Bytes(TwoMiB, 3).AsSpan().SequenceEqual(result), "the reply's bytes, put together from its parts");
        // Stream items of 2 MiB (base64 in JSON, about 2.8 MB each), each in parts, in order, among the call's credit frames.
        var chunks = new List<Chunk>();
        await foreach (var chunk in client.Proxy<IStreams>().ChunksAsync($"nats-{Guid.NewGuid():N}", 3, TwoMiB)) chunks.Add(chunk);
        Assert.Equal([0, 1, 2], chunks.Select(c => c.Index));
        Assert.All(chunks, c => Assert.Equal((TwoMiB, (byte)c.Index, (byte)(c.Index >> 8)), (c.Data.Length, c.Data[0], c.Data[^1])));

        // A caller that takes less: the first part tells the frame's length, and the call fails with it; the parts that follow
        // are ignored, and the connection serves the next call.
        await using (var small = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromSeconds(60), MaxPayloadLength = 1536 * 1024 }))
        {
            var smallCalc = small.Proxy<ICalculator>();
            var tooLarge = await Assert.ThrowsAsync<IpcProtocolException>(() => smallCalc.MakeBytesAsync(TwoMiB, 4).WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains("The reply is 2097", tooLarge.Message, StringComparison.Ordinal);
            Assert.Contains("IpcOptions.MaxPayloadLength", tooLarge.Message, StringComparison.Ordinal);
            Assert.True(small.Connection.IsConnected, "an oversized reply fails that call only");
            Assert.Equal(42, await smallCalc.GetAnswerAsync().WaitAsync(TimeSpan.FromSeconds(10)));
            var fits = await smallCalc.MakeBytesAsync(1_000_000, 5).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.True(Patterns.Bytes(1_000_000, 5).AsSpan().SequenceEqual(fits));
        }

        // A binary argument travels raw (docs/protocol.md 7.10): the 32-byte header, "{}", the bytes and their length, so
        // 1,048,518 bytes make a frame of 1,048,556 bytes, under 1 MiB; the headers (about 70 bytes) take the message over it.
        // Before the headers were counted, the broker closed the whole connection here (Maximum Payload Violation).
        var nearLimit = await Assert.ThrowsAsync<IpcProtocolException>(() => calc.SizeOfAsync(new byte[1_048_518]).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("with its NATS headers", nearLimit.Message, StringComparison.Ordinal);
        Assert.Contains("max_payload", nearLimit.Message, StringComparison.Ordinal);
        Assert.True(client.Connection.IsConnected, "an oversized call fails that call only");
        Assert.Equal(42, await calc.GetAnswerAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        // Just under the limit with the headers counted, the bytes cross.
        Assert.Equal(1_048_400, await calc.SizeOfAsync(new byte[1_048_400]).WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [NatsFact]
    public async Task Three_subscriber_processes_each_receive_every_event_in_order()
    {
        const int Events = 1000;
        var endpoint = NatsBroker.NewEndpoint();
        await using var server = await HostProcess.StartServerAsync(endpoint);
        var subscribers = Enumerable.Range(0, 3).Select(_ => HostProcess.StartClient(endpoint, $"ticks:{Events}")).ToArray();
        try
        {
            // "OK subscribed" is printed once SubscribeAsync completed: its Ping is answered only once the broker has the subscription.
            foreach (var s in subscribers) await s.WaitForLineAsync("OK subscribed");
            await using var client = await IpcClient.ConnectAsync(endpoint);

            await client.Proxy<ICalculator>().PublishTicksAsync("server", Events).WaitAsync(TimeSpan.FromSeconds(30));

            foreach (var s in subscribers)
            {
                Assert.Equal(0, await s.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains($"OK events {Events}", s.Lines);
            }
        }
        finally
        {
            foreach (var s in subscribers) await s.DisposeAsync();
        }
    }

    private static async Task<int> ServedAsync(HostProcess host)
    {
        host.SendLine("count");
        await host.WaitForLineAsync("COUNT ");
        return int.Parse(host.Lines.First(l => l.StartsWith("COUNT ", StringComparison.Ordinal))["COUNT ".Length..], CultureInfo.InvariantCulture);
    }
}
