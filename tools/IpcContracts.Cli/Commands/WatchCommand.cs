using System.CommandLine;
using System.Threading.Channels;
using IpcContracts.Cli.Infrastructure;

namespace IpcContracts.Cli.Commands;

/// <summary><c>ipc watch ENDPOINT CONTRACT [METHOD]</c>: subscribes by alias and prints each event as one JSON line.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var endpoint = CommonOptions.Endpoint();
        var contract = new Argument<string>("CONTRACT") { Description = "The event contract's alias, e.g. inventory.events." };
        var method = new Argument<string?>("METHOD") { Description = "Only this event (method name); all of the contract's events if left out.", Arity = ArgumentArity.ZeroOrOne };
        var count = new Option<int?>("--count", "-n") { Description = "Stop after this many events (otherwise run until Ctrl+C)." };
        var command = new Command("watch",
            "Print a contract's events as JSON lines ({\"time\",\"contract\",\"method\",\"args\"}) until Ctrl+C or --count.") { endpoint, contract, method, count };
        command.SetAction(async (result, ct) =>
        {
            var alias = result.GetValue(contract)!;
            var only = result.GetValue(method);
            var limit = result.GetValue(count);
            if (limit is <= 0) throw new CliException(ExitCodes.Usage, "--count must be at least 1.");
            var where = result.GetValue(endpoint)!;
            await using var client = await Peer.ConnectAsync(where, CommonOptions.ConnectTimeoutOf(result), ct);
            var peerContract = Peer.FindContract(client, alias);
            if (peerContract.Kind != ContractKind.Event)
                throw new CliException(ExitCodes.Usage, $"'{alias}' is a request contract, not an event contract: `ipc call {where} {alias}.METHOD` calls it.");
            if (only is not null && peerContract.Methods.All(m => m.Name != only))
                throw new CliException(ExitCodes.Usage,
                    $"unknown event '{only}' of contract '{alias}': it has {string.Join(", ", peerContract.Methods.Select(m => m.Name).Order(StringComparer.Ordinal))}.");

            // The subscriber runs on the connection's event loop; lines are written here, in arrival order, so a slow
            // terminal holds back only this tool (the runtime's event bounds apply).
            var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            using var subscription = client.SubscribeRaw(alias, e =>
            {
                if (only is null || e.Method == only) lines.Writer.TryWrite(Line(e));
            });
            _ = client.Connection.Completion.ContinueWith(t => lines.Writer.TryComplete(t.Result), TaskScheduler.Default);

            var written = 0;
            try
            {
                await foreach (var line in lines.Reader.ReadAllAsync(ct))
                {
                    Console.Out.WriteLine(line);
                    if (++written == limit) return ExitCodes.Ok;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Ok; // Ctrl+C is how a watch ends
            }
            catch (Exception e) when (e is IpcException)
            {
                throw new CliException(ExitCodes.Unavailable, $"the connection to {where} was lost after {written} events: {e.Message}");
            }
            throw new CliException(ExitCodes.Unavailable, $"the connection to {where} closed after {written} events.");
        });
        return command;
    }

    private static string Line(RawEvent e) => JsonOut.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("contract", e.Contract);
        w.WriteString("method", e.Method);
        w.WritePropertyName("args");
        JsonOut.RawOrString(w, e.ArgumentsJson);
        w.WriteEndObject();
    }, indented: false);
}
