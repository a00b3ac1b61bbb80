using System.CommandLine;
using IpcContracts.Cli.Infrastructure;

namespace IpcContracts.Cli.Commands;

/// <summary>
/// <c>ipc call ENDPOINT CONTRACT.METHOD [ARGS]</c>: one untyped request; prints the JSON result or the peer's error. For a
/// method that returns a stream, prints each item as a JSON line as it arrives (bytes as base64 strings).
/// </summary>
internal static class CallCommand
{
    public static Command Create()
    {
        var endpoint = CommonOptions.Endpoint();
        var target = new Argument<string>("CONTRACT.METHOD") { Description = "The contract alias and method name, e.g. inventory.GetStockAsync." };
        var arguments = new Argument<string>("ARGS")
        {
            Description = "The arguments as one JSON object, e.g. '{\"sku\":\"A-1\"}'; @FILE reads it from a file, - from standard input.",
            DefaultValueFactory = _ => "{}",
        };
        var timeout = new Option<string>("--timeout")
        {
            Description = "How long to wait for the result, or for each item of a stream (e.g. 500ms, 5s).",
            DefaultValueFactory = _ => "30s",
        };
        var count = new Option<int?>("--count", "-n") { Description = "A method that returns a stream: stop after this many items (the producer is cancelled)." };
        var command = new Command("call",
            "Call a method by name with JSON arguments and print its JSON result; a stream's items as JSON lines as they arrive.") { endpoint, target, arguments, timeout, count };
        command.SetAction(async (result, ct) =>
        {
            var (contract, method) = Peer.SplitTarget(result.GetValue(target)!);
            var args = await ReadArgumentsAsync(result.GetValue(arguments)!, ct);
            var limit = Durations.Parse(result.GetValue(timeout)!, "--timeout");
            var where = result.GetValue(endpoint)!;
            await using var client = await Peer.ConnectAsync(where, CommonOptions.ConnectTimeoutOf(result), ct);
            var peerContract = Peer.FindContract(client, contract);
            if (peerContract.Kind == ContractKind.Event)
                throw new CliException(ExitCodes.Usage, $"'{contract}' is an event contract: `ipc watch {where} {contract}` shows its events.");
            var peerMethod = peerContract.Methods.FirstOrDefault(m => m.Name == method)
                ?? throw new CliException(ExitCodes.Usage,
                    $"unknown method '{method}' of contract '{contract}': it has {string.Join(", ", peerContract.Methods.Select(m => m.Name).Order(StringComparer.Ordinal))}.");
            var stream = peerMethod.ReturnsStream;
            if (peerMethod.TakesStream)
                throw new CliException(ExitCodes.Usage,
                    $"{contract}.{method} takes a stream (an IAsyncEnumerable<T>, Stream or PipeReader parameter), which a command line cannot send; call it from code.");
            var limitItems = result.GetValue(count);
            if (limitItems is <= 0) throw new CliException(ExitCodes.Usage, "--count must be at least 1.");
            if (limitItems is not null && !stream) throw new CliException(ExitCodes.Usage, $"--count is for a method that returns a stream; {contract}.{method} returns one result.");
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(limit);
            try
            {
                if (!stream)
                {
                    Console.Out.WriteLine(await client.Connection.InvokeRawAsync(contract, method, args, deadline.Token));
                    return ExitCodes.Ok;
                }
                // One line per item, written as it comes; --timeout bounds the wait for each (an endless stream runs until
                // Ctrl+C or --count).
                var items = 0;
                await foreach (var item in client.Connection.InvokeRawStream(contract, method, args, deadline.Token))
                {
                    Console.Out.WriteLine(item);
                    await Console.Out.FlushAsync(ct);
                    if (++items == limitItems) break;
                    deadline.CancelAfter(limit);
                }
                return ExitCodes.Ok;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new CliException(ExitCodes.Unavailable, $"{contract}.{method} timed out after {limit.TotalSeconds:0.###} s (--timeout).");
            }
            catch (TimeoutException e)
            {
                throw new CliException(ExitCodes.Unavailable, $"{contract}.{method} timed out: {e.Message}");
            }
            catch (ArgumentException e)
            {
                throw new CliException(ExitCodes.Usage, $"the arguments are not one JSON object: {e.Message}");
            }
            catch (Exception e) when (RemoteError(e) is { } remote)
            {
                // A handler's failure also carries the application's error code, the part a script switches on.
                var errorCode = e is RemoteInvocationException r ? $", error code {r.ErrorCode}" : "";
                throw new CliException(ExitCodes.Failed, $"{contract}.{method} failed at the peer: {remote.Type}: {remote.Message} (code {remote.Code}{errorCode})");
            }
            catch (ChannelFaultedException e)
            {
                throw new CliException(ExitCodes.Unavailable, $"the connection to {where} was lost: {e.Message}");
            }
        });
        return command;
    }

    /// <summary>The error the peer answered with (docs/protocol.md, Error payload): its code, the exception type it named, the message.</summary>
    private static (string Code, string Type, string Message)? RemoteError(Exception e) => e switch
    {
        RemoteInvocationException r => ("remote", r.RemoteType, r.RemoteMessage),
        ContractMismatchException m => ("mismatch", typeof(ContractMismatchException).FullName!, m.Message),
        IpcProtocolException { Error: ProtocolError.BadPayload } p => ("bad_payload", typeof(IpcProtocolException).FullName!, p.Message),
        IpcOverloadedException o => ("overloaded", typeof(IpcOverloadedException).FullName!, o.Message),
        _ => null,
    };

    private static async Task<string> ReadArgumentsAsync(string text, CancellationToken ct)
    {
        try
        {
            if (text == "-") return await Console.In.ReadToEndAsync(ct);
            if (text.StartsWith('@')) return await File.ReadAllTextAsync(text[1..], ct);
            return text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot read the arguments from '{text[1..]}': {e.Message}");
        }
    }
}
