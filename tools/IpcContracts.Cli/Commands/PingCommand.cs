using System.CommandLine;
using System.Globalization;
using IpcContracts.Cli.Infrastructure;
using Spectre.Console;

namespace IpcContracts.Cli.Commands;

/// <summary><c>ipc ping ENDPOINT</c>: Ping/Pong round trips (docs/protocol.md) and their percentiles.</summary>
internal static class PingCommand
{
    public static Command Create()
    {
        var endpoint = CommonOptions.Endpoint();
        var count = new Option<int>("--count", "-n") { Description = "How many round trips.", DefaultValueFactory = _ => 100 };
        var interval = new Option<string?>("--interval") { Description = "Wait this long between round trips (e.g. 10ms); back to back if left out." };
        var json = CommonOptions.Json("the statistics");
        var command = new Command("ping", "Measure round trips to the peer (after one warm-up): min, p50, p90, p99, max, with live progress on a terminal.") { endpoint, count, interval, json };
        command.SetAction(async (result, ct) =>
        {
            var n = result.GetValue(count);
            if (n <= 0) throw new CliException(ExitCodes.Usage, "--count must be at least 1.");
            var pause = result.GetValue(interval) is { } i ? Durations.Parse(i, "--interval") : TimeSpan.Zero;
            var where = result.GetValue(endpoint)!;
            var asJson = result.GetValue(json);
            await using var client = await Peer.ConnectAsync(where, CommonOptions.ConnectTimeoutOf(result), ct);
            var samples = new List<TimeSpan>(n);
            // One round trip before measuring: the first pays for JIT and lazy setup on both sides, which is not the link's latency.
            try { await client.Connection.PingAsync(ct); }
            catch (Exception e) when (e is IpcException or TimeoutException) { throw new CliException(ExitCodes.Unavailable, $"ping to {where} failed: {e.Message}"); }

            async Task RunAsync(Action? step)
            {
                for (var k = 0; k < n && !ct.IsCancellationRequested; k++)
                {
                    try
                    {
                        samples.Add(await client.Connection.PingAsync(ct));
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        break; // Ctrl+C: report what was measured
                    }
                    catch (Exception e) when (e is IpcException or TimeoutException)
                    {
                        throw new CliException(ExitCodes.Unavailable, $"ping {k + 1} to {where} failed: {e.Message}");
                    }
                    step?.Invoke();
                    if (pause > TimeSpan.Zero && k + 1 < n) await Task.Delay(pause, ct).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }

            if (Terminal.IsInteractive && !asJson)
            {
                await Terminal.Create().Progress().AutoClear(true).StartAsync(async context =>
                {
                    var task = context.AddTask($"ping {Markup.Escape(where)}", maxValue: n);
                    await RunAsync(() => task.Increment(1));
                });
            }
            else
            {
                await RunAsync(null);
            }
            if (samples.Count == 0) throw new CliException(ExitCodes.Unavailable, $"no round trip to {where} completed.");
            Console.Out.WriteLine(asJson ? ToJson(where, samples) : ToText(where, samples));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    internal static TimeSpan Percentile(IReadOnlyList<TimeSpan> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static (string Name, TimeSpan Value)[] Stats(List<TimeSpan> samples)
    {
        samples.Sort();
        return [("min", samples[0]), ("p50", Percentile(samples, 50)), ("p90", Percentile(samples, 90)), ("p99", Percentile(samples, 99)), ("max", samples[^1])];
    }

    private static double Micros(TimeSpan t) => Math.Round(t.TotalMicroseconds, 1);

    private static string ToText(string endpoint, List<TimeSpan> samples) =>
        $"{samples.Count} round trips to {endpoint}: " +
        string.Join(", ", Stats(samples).Select(s => $"{s.Name} {Micros(s.Value).ToString("0.0", CultureInfo.InvariantCulture)} us"));

    /// <summary>{"endpoint","count","min_us","p50_us","p90_us","p99_us","max_us"}.</summary>
    private static string ToJson(string endpoint, List<TimeSpan> samples) => JsonOut.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("endpoint", endpoint);
        w.WriteNumber("count", samples.Count);
        foreach (var (name, value) in Stats(samples)) w.WriteNumber(name + "_us", Micros(value));
        w.WriteEndObject();
    }, indented: false);
}
