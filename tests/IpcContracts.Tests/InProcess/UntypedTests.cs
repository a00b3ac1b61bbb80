using System.Text.Json;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.InProcess;

public sealed class UntypedTests
{
    [Fact]
    public async Task A_tool_calls_a_typed_contract_by_alias_and_method_name_with_JSON()
    {
        await using var pair = await Pair.StartAsync();

        var sum = await pair.Client.Connection.InvokeRawAsync("test.calculator", "SumAsync", """{"values":[1,2,3],"label":"x","negate":false}""");
        var none = await pair.Client.Connection.InvokeRawAsync("test.calculator", "NoResultAsync", """{"note":"ok"}""");

        using var doc = JsonDocument.Parse(sum);
        Assert.Equal(6, doc.RootElement.GetProperty("Sum").GetInt32());
        Assert.Equal("null", none);
    }

    [Fact]
    public async Task An_untyped_call_to_a_stream_method_is_refused_at_once_not_left_waiting_for_credit()
    {
        // Regression: the untyped path reads one reply, so the handler waited for stream credit that never came and the
        // tool's call ended only at its timeout (found with `ipc call ... test.streams.RangeAsync`).
        await using var server = await IpcServer.StartAsync(Endpoints.InProc(), b => b.Handle<IStreams>(new StreamService()));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromSeconds(60) });

        var call = client.Connection.InvokeRawAsync("test.streams", "RangeAsync", """{"start":1,"count":3}""");

        var error = await Assert.ThrowsAsync<ContractMismatchException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("stream", error.Message);
    }

    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    public async Task A_tool_reads_a_stream_result_item_by_item_as_JSON_and_a_Stream_as_base64_chunks(string transport)
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport),
            b => b.Handle<IStreams>(new StreamService()).Handle<IBlobs>(new BlobService()));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());

        var items = new List<string>();
        await foreach (var item in client.Connection.InvokeRawStream("test.streams", "RangeAsync", """{"start":5,"count":3}""")) items.Add(item);
        Assert.Equal(["5", "6", "7"], items);

        // 3 MB of a Stream result: several chunks (the credit window is 1 MiB), each a base64 string, in order.
        const long length = 3_000_000;
        var bytes = new MemoryStream();
        var chunks = 0;
        await foreach (var chunk in client.Connection.InvokeRawStream("test.blobs", "DownloadAsync", $$"""{"probe":"raw-{{transport}}","length":{{length}}}"""))
        {
            using var json = JsonDocument.Parse(chunk);
            bytes.Write(json.RootElement.GetBytesFromBase64());
            chunks++;
        }
        Assert.Equal(length, bytes.Length);
        Assert.Equal(Patterns.PatternChecksum(length), Patterns.Checksum(bytes.ToArray()));
        Assert.True(chunks > 1, $"{chunks} chunk(s)");
    }

    [Fact]
    public async Task Breaking_out_of_a_tools_stream_cancels_the_producer()
    {
        await using var server = await IpcServer.StartAsync(Endpoints.InProc(), b => b.Handle<IStreams>(new StreamService()));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var probe = $"raw-endless-{Guid.NewGuid():N}";

        var taken = 0;
        await foreach (var _ in client.Connection.InvokeRawStream("test.streams", "EndlessAsync", $$"""{"probe":"{{probe}}"}"""))
        {
            if (++taken == 3) break;
        }

        var streams = client.Proxy<IStreams>();
        await Eventually.TrueAsync(async () => (await streams.ProbeAsync(probe)) is { Cancelled: true, Disposed: true });
    }

    [Theory]
    [InlineData("test.calculator", "AddAsync", """{"a":1,"b":2}""", typeof(ContractMismatchException), "does not return a stream")]
    [InlineData("test.streams", "DoubleAsync", "{}", typeof(ContractMismatchException), "takes a stream")] // both ways
    [InlineData("test.streams", "NoSuchMethod", "{}", typeof(ContractMismatchException), "NoSuchMethod")]
    [InlineData("test.streams", "RangeAsync", "[1,2]", typeof(ArgumentException), "JSON object")]
    public async Task A_tools_stream_call_that_cannot_be_made_fails_its_first_MoveNextAsync_and_sends_nothing(string contract, string method, string args,
        Type expected, string message)
    {
        await using var server = await IpcServer.StartAsync(Endpoints.InProc(),
            b => b.Handle<IStreams>(new StreamService()).Handle<ICalculator>(new Calculator()));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        await using var items = client.Connection.InvokeRawStream(contract, method, args).GetAsyncEnumerator();

        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await items.MoveNextAsync());

        Assert.IsType(expected, error);
        Assert.Contains(message, error.Message);
        Assert.Equal(5, await client.Proxy<ICalculator>().AddAsync(2, 3)); // the connection goes on
    }

    [Theory]
    [InlineData("test.streams", "SumAsync")] // an IAsyncEnumerable<int> parameter
    [InlineData("test.blobs", "UploadAsync")] // a Stream parameter
    public async Task An_untyped_call_to_a_method_that_takes_a_stream_is_refused_at_once_not_left_waiting_for_items(string contract, string method)
    {
        // The untyped path sends one argument object and no stream: the handler would wait for items that never come, and
        // the call would end only at its timeout.
        await using var server = await IpcServer.StartAsync(Endpoints.InProc(),
            b => b.Handle<IStreams>(new StreamService()).Handle<IBlobs>(new BlobService()));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromSeconds(60) });

        var call = client.Connection.InvokeRawAsync(contract, method, """{"label":"x","pauseMs":0}""");

        var error = await Assert.ThrowsAsync<ContractMismatchException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("takes a stream", error.Message);
    }

    [Theory]
    [InlineData("R:long(System.Collections.Generic.IAsyncEnumerable<int> numbers)", true)]
    [InlineData("R:int(int take,System.Collections.Generic.IAsyncEnumerable<int> numbers)", true)]
    [InlineData("R:long(string label,int pauseMs,System.IO.Stream data)", true)]
    [InlineData("R:void(System.IO.Pipelines.PipeReader input)", true)]
    [InlineData("R:System.Collections.Generic.IAsyncEnumerable<int>(System.Collections.Generic.IAsyncEnumerable<int> numbers)", true)]
    [InlineData("R:System.Collections.Generic.IAsyncEnumerable<int>(int start,int count)", false)] // a stream result only
    [InlineData("R:System.IO.Stream(string probe,long length)", false)]
    [InlineData("R:int(System.Collections.Generic.Dictionary<string,System.IO.Stream> map)", false)]
    [InlineData("R:int(Shop.StreamInfo info,System.IO.StreamReader reader)", false)]
    [InlineData("R:long(System.Collections.Generic.IAsyncEnumerable<int> numbers,System.IProgress<int> read)", true)]
    [InlineData("", false)] // a peer that sends no signature
    public void Which_signatures_take_a_stream(string signature, bool takesStream) =>
        Assert.Equal(takesStream, Connections.PeerManifest.TakesStream(signature));

    [Fact]
    public async Task A_tool_publishes_a_typed_event_by_alias_and_name_with_JSON_and_a_bad_name_is_a_mismatch()
    {
        await using var pair = await Pair.StartAsync();
        var ticks = new TickCollector(1);
        using var sub = pair.Client.Subscribe<ITicks>(ticks);
        await Eventually.TrueAsync(() => pair.Server.Connections.Any(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))));
        var toClient = pair.Server.Connections.Single();

        toClient.PublishRaw("test.ticks", "Tick", """{"tick":{"Sequence":7,"Source":"tool"}}""");

        await ticks.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([7], ticks.Sequences);
        Assert.Throws<ContractMismatchException>(() => toClient.PublishRaw("test.ticks", "NoSuchEvent"));
        Assert.Throws<ArgumentException>(() => toClient.PublishRaw("test.ticks", "Tick", "[1]"));
    }

    [Fact]
    public async Task Unknown_members_are_ignored_and_missing_ones_take_defaults()
    {
        await using var pair = await Pair.StartAsync();

        var result = await pair.Client.Connection.InvokeRawAsync("test.calculator", "AddAsync", """{"a":5,"added_in_v2":true}""");

        Assert.Equal("5", result);
    }

    [Fact]
    public async Task A_run_time_handler_without_an_interface_answers_typed_and_untyped_callers()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, b => b
            .HandleRaw("tools.math", "Double", call =>
            {
                using var doc = JsonDocument.Parse(call.ArgumentsJson);
                return ValueTask.FromResult<string?>((doc.RootElement.GetProperty("n").GetInt32() * 2).ToString());
            }));
        await using var client = await IpcClient.ConnectAsync(endpoint);

        Assert.Equal("42", await client.Connection.InvokeRawAsync("tools.math", "Double", """{"n":21}"""));
    }

    [Fact]
    public async Task Untyped_calls_report_unknown_names_bad_JSON_and_arguments_of_the_wrong_type()
    {
        await using var pair = await Pair.StartAsync();
        var connection = pair.Client.Connection;

        await Assert.ThrowsAsync<ContractMismatchException>(() => connection.InvokeRawAsync("no.such", "X"));
        await Assert.ThrowsAsync<ContractMismatchException>(() => connection.InvokeRawAsync("test.calculator", "NoSuchMethod"));
        await Assert.ThrowsAsync<ArgumentException>(() => connection.InvokeRawAsync("test.calculator", "AddAsync", "[1,2]"));
        var bad = await Assert.ThrowsAsync<IpcProtocolException>(() => connection.InvokeRawAsync("test.calculator", "AddAsync", """{"a":"not a number"}"""));

        Assert.Equal(ProtocolError.BadPayload, bad.Error);
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync()); // only that call failed
    }

    [Fact]
    public async Task A_tool_sees_the_peers_contracts_methods_IDs_and_signatures_from_the_handshake()
    {
        await using var pair = await Pair.StartAsync();

        var contracts = pair.Client.Connection.PeerContracts;

        var calculator = Assert.Single(contracts, c => c.Alias == "test.calculator");
        var descriptor = IpcContracts.Runtime.ContractRegistry.Get<ICalculator>();
        Assert.Equal(descriptor.Id, calculator.Id);
        Assert.Equal(ContractKind.Request, calculator.Kind);
        Assert.True(calculator.Handled);
        var add = Assert.Single(calculator.Methods, m => m.Name == "AddAsync");
        Assert.Equal(descriptor.Methods.Single(m => m.Name == "AddAsync").Id, add.Id);
        Assert.Equal("R:int(int a,int b)", add.Signature);
        Assert.NotEqual(0UL, add.Fingerprint);
        var ticks = Assert.Single(contracts, c => c.Alias == "test.ticks");
        Assert.Equal(ContractKind.Event, ticks.Kind);
        Assert.False(Assert.Single(contracts, c => c.Alias == "test.callback").Handled);
    }

    [Fact]
    public async Task A_tool_receives_events_by_contract_alias_as_JSON_with_the_method_name()
    {
        await using var pair = await Pair.StartAsync();
        var received = new System.Collections.Concurrent.ConcurrentQueue<RawEvent>();
        using var sub = pair.Client.SubscribeRaw("test.ticks", received.Enqueue);
        await Eventually.TrueAsync(() => pair.Server.Connections.Any(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))));

        await pair.Calculator.PublishTicksAsync("raw", 2);

        await Eventually.TrueAsync(() => received.Count == 2);
        Assert.All(received, e => Assert.Equal(("test.ticks", "Tick"), (e.Contract, e.Method)));
        Assert.Equal(["""{"tick":{"Sequence":1,"Source":"raw"}}""", """{"tick":{"Sequence":2,"Source":"raw"}}"""],
            received.Select(e => e.ArgumentsJson.Replace(" ", "")));
    }

    [Fact]
    public async Task A_raw_subscription_to_an_unknown_or_request_contract_is_a_mismatch()
    {
        await using var pair = await Pair.StartAsync();

        Assert.Throws<ContractMismatchException>(() => pair.Client.SubscribeRaw("no.such", _ => { }));
        Assert.Throws<ContractMismatchException>(() => pair.Client.SubscribeRaw("test.calculator", _ => { }));
    }
}
