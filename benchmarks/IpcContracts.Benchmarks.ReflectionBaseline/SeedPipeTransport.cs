using System.IO.Pipes;

namespace IpcContracts.Benchmarks.ReflectionBaseline;

/// <summary>
/// Seed 000's <c>NamedPipeTransport</c>: the process listens on two pipes (requests in, responses in) with one server
/// loop each, and every message it sends opens a new client connection to the target pipe (its configured outgoing
/// pipe, or the <see cref="SeedEnvelope.ReplyTo"/> of a response), writes one length-prefixed envelope and closes.
/// On Linux a .NET named pipe is a Unix domain socket (<c>/tmp/CoreFxPipe_NAME</c>), the same kind of transport as
/// IpcContracts' <c>pipe://</c>.
/// </summary>
/// <remarks>
/// Differences from the seed's text, none of which changes the work of a message: the seed waits for a connection
/// without limit and swallows every error; here a send gives up after <see cref="ConnectTimeout"/> (a benchmark must not
/// hang), and <see cref="DisposeAsync"/> stops the loops, which deletes the socket files.
/// </remarks>
public sealed class SeedPipeTransport : IAsyncDisposable
{
    /// <summary>How long a send waits for the target pipe to accept (the seed waits forever).</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    private readonly string _incomingPipeName;
    private readonly string _outgoingPipeName;
    private readonly string _replyPipeName;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public SeedPipeTransport(string incomingPipeName, string outgoingPipeName, string replyPipeName)
    {
        _incomingPipeName = incomingPipeName;
        _outgoingPipeName = outgoingPipeName;
        _replyPipeName = replyPipeName;
    }

    /// <summary>Where the other side sends responses to this process.</summary>
    public string ReplyAddress => _replyPipeName;

    /// <summary>Starts the two server loops (requests and responses), as the seed's <c>StartAsync</c>.</summary>
    public Task StartAsync(Func<SeedEnvelope, Task> onMessageAsync)
    {
        var ct = _stop.Token;
        _loops.Add(Task.Run(() => ServerLoopAsync(_incomingPipeName, onMessageAsync, ct), ct));
        _loops.Add(Task.Run(() => ServerLoopAsync(_replyPipeName, onMessageAsync, ct), ct));
        return Task.CompletedTask;
    }

    /// <summary>One connection per message: a response goes to its <c>ReplyTo</c>, anything else to the outgoing pipe.</summary>
    public async Task SendAsync(SeedEnvelope envelope, CancellationToken ct = default)
    {
        var target = envelope.IsResponse && !string.IsNullOrEmpty(envelope.ReplyTo) ? envelope.ReplyTo! : _outgoingPipeName;
        using var client = new NamedPipeClientStream(".", target, PipeDirection.Out, PipeOptions.Asynchronous);
        await client.ConnectAsync((int)ConnectTimeout.TotalMilliseconds, ct).ConfigureAwait(false);
        await SeedWire.WriteEnvelopeAsync(client, envelope, ct).ConfigureAwait(false);
        await client.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task ServerLoopAsync(string pipeName, Func<SeedEnvelope, Task> onMessageAsync, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var server = new NamedPipeServerStream(pipeName, PipeDirection.InOut, NamedPipeServerStream.MaxAllowedServerInstances,
                    PipeTransmissionMode.Byte, PipeOptions.Asynchronous);
                await server.WaitForConnectionAsync(ct).ConfigureAwait(false);
                while (server.IsConnected && !ct.IsCancellationRequested)
                {
                    var envelope = await SeedWire.ReadEnvelopeAsync(server, ct).ConfigureAwait(false);
                    if (envelope is null) break;
                    await onMessageAsync(envelope).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
            {
                // The seed swallows every error of a connection and listens again; here only the I/O and parse errors a
                // peer can cause are, so a defect in the benchmark still surfaces.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
