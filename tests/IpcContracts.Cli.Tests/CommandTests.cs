using System.Text.Json;
using IpcContracts.Cli.Tests.Support;

namespace IpcContracts.Cli.Tests;

/// <summary>
/// The tool run as a process against a real server process (tests/IpcContracts.TestHost): list, call, watch, ping and
/// the one-line errors, with the JIT build here and with the Native AOT binary in <see cref="AotCommandTests"/>.
/// </summary>
public abstract class CommandTests(ServerHost server)
{
    private protected abstract Task<Tool> ToolAsync();

    private async Task<ToolResult> Ipc(params string[] args) => await (await ToolAsync()).RunAsync(args);

    [Fact]
    public async Task List_shows_every_contract_and_method_with_kind_wire_IDs_and_signature_as_a_table()
    {
        var result = await Ipc("list", server.Endpoint);

        Assert.True(result.ExitCode == 0, result.ToString());
        var add = Assert.Single(result.StdoutLines, l => l.Contains("AddAsync", StringComparison.Ordinal));
        Assert.Matches(@"AddAsync\s+0x8E633751\.0x[0-9A-F]{8}\s+R:int\(int a,int b\)", add);
        Assert.Contains(result.StdoutLines, l => l.StartsWith("test.ticks", StringComparison.Ordinal) && l.Contains("event", StringComparison.Ordinal));
        Assert.Contains(result.StdoutLines, l => l.Contains("Echo", StringComparison.Ordinal) && l.EndsWith("untyped", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', result.Stdout); // not a terminal: no color codes
    }

    [Fact]
    public async Task List_json_is_stable_and_has_every_field()
    {
        var first = await Ipc("list", server.Endpoint, "--json");
        var second = await Ipc("list", server.Endpoint, "--json");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(first.Stdout, second.Stdout);
        using var doc = JsonDocument.Parse(first.Stdout);
        Assert.Equal(server.Endpoint, doc.RootElement.GetProperty("endpoint").GetString());
        var contracts = doc.RootElement.GetProperty("contracts").EnumerateArray().ToList();
        var aliases = contracts.Select(c => c.GetProperty("alias").GetString()!).ToList();
        Assert.Equal(aliases.Order(StringComparer.Ordinal), aliases);
        var calculator = contracts.Single(c => c.GetProperty("alias").GetString() == "test.calculator");
        Assert.Equal("0x8E633751", calculator.GetProperty("id").GetString());
        Assert.Equal("request", calculator.GetProperty("kind").GetString());
        Assert.True(calculator.GetProperty("handled").GetBoolean());
        var add = calculator.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "AddAsync");
        Assert.Equal("R:int(int a,int b)", add.GetProperty("signature").GetString());
        Assert.Matches("^0x[0-9A-F]{8}$", add.GetProperty("id").GetString());
        Assert.Matches("^0x[0-9A-F]{16}$", add.GetProperty("fingerprint").GetString());
        Assert.False(contracts.Single(c => c.GetProperty("alias").GetString() == "test.callback").GetProperty("handled").GetBoolean());
        Assert.Equal("event", contracts.Single(c => c.GetProperty("alias").GetString() == "test.ticks").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Call_prints_the_JSON_result_with_arguments_inline_from_a_file_and_from_stdin()
    {
        var tool = await ToolAsync();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, """{"values":[1,2,3],"label":"sum","negate":false}""");
        try
        {
            var inline = await tool.RunAsync("call", server.Endpoint, "test.calculator.AddAsync", """{"a":2,"b":3}""");
            var fromFile = await tool.RunAsync("call", server.Endpoint, "test.calculator.SumAsync", "@" + file);
            var fromStdin = await tool.RunWithInputAsync("""{"text":"hi"}""", "call", server.Endpoint, "tools.echo.Echo", "-");

            Assert.True(inline.ExitCode == 0, inline.ToString());
            Assert.Equal("5", inline.Stdout.Trim());
            Assert.True(fromFile.ExitCode == 0, fromFile.ToString());
            using var totals = JsonDocument.Parse(fromFile.Stdout);
            Assert.Equal(6, totals.RootElement.GetProperty("Sum").GetInt32());
            Assert.True(fromStdin.ExitCode == 0, fromStdin.ToString());
            Assert.Equal("""{"text":"hi"}""", fromStdin.Stdout.Trim());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Call_reports_the_remote_error_with_its_code_and_type_in_one_line_and_exits_1()
    {
        var result = await Ipc("call", server.Endpoint, "test.calculator.ThrowAsync", """{"message":"boom"}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("System.InvalidOperationException", line);
        Assert.Contains("boom", line);
        Assert.Contains("code remote, error code unhandled", line);
    }

    [Fact]
    public async Task Call_reports_a_handlers_error_code()
    {
        var result = await Ipc("call", server.Endpoint, "test.errors.FailCodedAsync", """{"code":"inventory.out_of_stock","message":"Only 3 left."}""");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("IpcContracts.IpcErrorException: Only 3 left. (code remote, error code inventory.out_of_stock)", line);
    }

    [Fact]
    public async Task Call_arguments_the_method_cannot_read_are_a_bad_payload_error_from_the_peer()
    {
        var result = await Ipc("call", server.Endpoint, "test.calculator.AddAsync", """{"a":"not a number"}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("code bad_payload", result.Stderr);
    }

    [Fact]
    public async Task Call_gives_up_after_its_timeout_with_exit_code_3()
    {
        var result = await Ipc("call", server.Endpoint, "test.calculator.DelayAsync", """{"milliseconds":20000}""", "--timeout", "200ms");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("timed out", result.Stderr);
    }

    [Fact]
    public async Task Call_of_a_stream_prints_each_item_as_a_JSON_line_and_stops_after_count()
    {
        var tool = await ToolAsync();
        var range = await tool.RunAsync("call", server.Endpoint, "test.streams.RangeAsync", """{"start":1,"count":3}""");
        var endless = await tool.RunAsync("call", server.Endpoint, "test.streams.EndlessAsync", """{"probe":"cli-count"}""", "--count", "4");
        var chunks = await tool.RunAsync("call", server.Endpoint, "test.blobs.DownloadAsync", """{"probe":"cli-bytes","length":100000}""");

        Assert.True(range.ExitCode == 0, range.ToString());
        Assert.Equal(["1", "2", "3"], range.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(endless.ExitCode == 0, endless.ToString()); // the endless producer was cancelled, and the tool ended
        Assert.Equal(["0", "1", "2", "3"], endless.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(chunks.ExitCode == 0, chunks.ToString());
        var bytes = chunks.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).SelectMany(line => JsonDocument.Parse(line).RootElement.GetBytesFromBase64()).ToArray();
        Assert.Equal(100_000, bytes.Length); // a Stream's chunks, each a base64 string
    }

    [Fact]
    public async Task Call_of_a_stream_that_fails_prints_the_items_before_it_then_the_error_and_exits_1()
    {
        var result = await Ipc("call", server.Endpoint, "test.streams.FailAfterAsync", """{"count":2,"message":"producer broke"}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["0", "1"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("producer broke", result.Stderr);
    }

    [Fact]
    public async Task Call_of_a_stream_that_goes_quiet_gives_up_after_its_timeout_per_item_with_exit_code_3()
    {
        var result = await Ipc("call", server.Endpoint, "test.streams.StallAsync", """{"probe":"cli-stall"}""", "--timeout", "300ms");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("timed out", result.Stderr);
    }

    [Theory]
    [InlineData("test.streams.SumAsync", "takes a stream")]
    [InlineData("test.blobs.UploadAsync", "takes a stream")]
    public async Task Call_of_a_method_that_takes_a_stream_is_a_usage_error_in_one_line(string target, string expected)
    {
        var result = await Ipc("call", server.Endpoint, target, "{}");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Theory]
    [InlineData("no.such.Method", "unknown contract 'no.such'")]
    [InlineData("test.calculator.NoSuchMethod", "unknown method 'NoSuchMethod'")]
    [InlineData("test.ticks.Tick", "is an event contract")]
    [InlineData("nodot", "is not CONTRACT.METHOD")]
    public async Task Call_names_an_unknown_contract_or_method_in_one_line_with_exit_code_2(string target, string expected)
    {
        var result = await Ipc("call", server.Endpoint, target);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task Arguments_that_are_not_one_JSON_object_are_a_usage_error()
    {
        var result = await Ipc("call", server.Endpoint, "test.calculator.AddAsync", "[1,2]");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not one JSON object", result.Stderr);
    }

    [Fact]
    public async Task Watch_prints_events_as_JSON_lines_with_timestamps_and_stops_after_count()
    {
        var tool = await ToolAsync();
        using var watch = tool.Start(null, "watch", server.Endpoint, "test.ticks", "Tick", "--count", "2");
        var done = Tool.CollectAsync(watch, TimeSpan.FromSeconds(60));
        // The subscription is made after the tool connects, which this test cannot see: publish until the watch has
        // its two events (bounded), so no event is needed before the subscription is in place.
        for (var i = 0; i < 40 && !done.IsCompleted; i++)
        {
            var publish = await Tool.Jit.RunAsync("call", server.Endpoint, "test.calculator.PublishTicksAsync", """{"source":"watch","count":2}""");
            Assert.True(publish.ExitCode == 0, publish.ToString());
            await Task.WhenAny(done, Task.Delay(250));
        }
        var result = await done;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, result.StdoutLines.Length);
        foreach (var line in result.StdoutLines)
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal(["time", "contract", "method", "args"], doc.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.True(DateTimeOffset.TryParse(doc.RootElement.GetProperty("time").GetString(), out _));
            Assert.Equal("test.ticks", doc.RootElement.GetProperty("contract").GetString());
            Assert.Equal("Tick", doc.RootElement.GetProperty("method").GetString());
            Assert.Equal("watch", doc.RootElement.GetProperty("args").GetProperty("tick").GetProperty("Source").GetString());
        }
    }

    [Fact]
    public async Task Watch_of_a_request_contract_or_an_unknown_event_is_a_usage_error()
    {
        var request = await Ipc("watch", server.Endpoint, "test.calculator");
        var unknown = await Ipc("watch", server.Endpoint, "test.ticks", "NoSuchEvent");

        Assert.Equal(2, request.ExitCode);
        Assert.Contains("not an event contract", request.Stderr);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown event 'NoSuchEvent'", unknown.Stderr);
    }

    [Fact]
    public async Task Ping_count_measures_that_many_round_trips_and_reports_ordered_percentiles()
    {
        var text = await Ipc("ping", server.Endpoint, "--count", "20");
        var json = await Ipc("ping", server.Endpoint, "--count", "20", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.StartsWith($"20 round trips to {server.Endpoint}: min ", text.Stdout);
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(20, doc.RootElement.GetProperty("count").GetInt32());
        var stats = new[] { "min_us", "p50_us", "p90_us", "p99_us", "max_us" }.Select(n => doc.RootElement.GetProperty(n).GetDouble()).ToArray();
        Assert.True(stats[0] > 0, json.Stdout);
        Assert.Equal(stats.Order(), stats); // min <= p50 <= p90 <= p99 <= max
    }

    [Fact]
    public async Task A_malformed_or_unknown_endpoint_is_a_usage_error_in_one_line()
    {
        var scheme = await Ipc("list", "nope://x");
        var shape = await Ipc("ping", "not-an-endpoint");

        Assert.Equal(2, scheme.ExitCode);
        Assert.StartsWith("ipc: bad endpoint 'nope://x'", Assert.Single(scheme.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(2, shape.ExitCode);
        Assert.StartsWith("ipc: bad endpoint", shape.Stderr);
    }

    [Fact]
    public async Task Nothing_listening_is_exit_code_3_in_one_line()
    {
        var result = await Ipc("list", $"pipe://nobody-{Guid.NewGuid():N}"[..24], "--connect-timeout", "300ms");

        Assert.Equal(3, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("ipc: cannot connect to pipe://nobody-", line);
    }

    [Theory]
    [InlineData]
    [InlineData("list")]
    [InlineData("call")]
    [InlineData("watch")]
    [InlineData("ping")]
    [InlineData("diff")]
    public async Task Every_command_has_help(params string[] command)
    {
        var result = await Ipc([.. command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Stdout);
        Assert.Contains("ipc " + string.Join(' ', command), result.Stdout);
    }

    [Fact]
    public async Task A_wrong_command_line_is_one_line_with_exit_code_2()
    {
        var result = await Ipc("call", server.Endpoint);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("CONTRACT.METHOD", line);
        Assert.Contains("ipc call --help", line);
    }
}

public sealed class JitCommandTests(ServerHost server) : CommandTests(server), IClassFixture<ServerHost>
{
    private protected override Task<Tool> ToolAsync() => Task.FromResult(Tool.Jit);
}

public sealed class AotCommandTests(ServerHost server) : CommandTests(server), IClassFixture<ServerHost>
{
    private protected override async Task<Tool> ToolAsync()
    {
        var published = await AotTool.GetAsync();
        Assert.True(published.ExitCode == 0, published.Log);
        return published.Tool;
    }
}
