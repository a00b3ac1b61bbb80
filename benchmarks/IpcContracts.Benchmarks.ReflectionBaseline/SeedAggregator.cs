using System.Collections.Concurrent;

namespace IpcContracts.Benchmarks.ReflectionBaseline;

/// <summary>
/// Seed 000's <c>EventAggregator</c> over a transport: <see cref="RequestAsync{TRequest, TResponse}"/> as the seed's
/// caller does it (a GUID correlation ID, a pending <see cref="TaskCompletionSource{TResult}"/>, the request wrapped in an
/// envelope naming its type, the response's JSON string parsed once it arrives), and inbound requests and events handed
/// to <see cref="SeedDispatcher"/> (reflection dispatch), whose response goes back through the transport.
/// </summary>
public sealed class SeedAggregator
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<object?>> _pendingRequests = new();
    private SeedPipeTransport? _transport;

    /// <summary>The receiving half: subscribe request handlers and events here.</summary>
    public SeedDispatcher Dispatcher { get; } = new();

    /// <summary>The seed's <c>UseTransportAsync</c>: starts the transport with this aggregator as its message handler.</summary>
    public async Task UseTransportAsync(SeedPipeTransport transport)
    {
        _transport = transport;
        await transport.StartAsync(OnTransportMessageAsync).ConfigureAwait(false);
    }

    /// <summary>
    /// The seed's <c>RequestAsync</c> for a remote handler (the seed first looks for a local handler of the request type;
    /// this aggregator has none). Unlike the seed, the wait for the response has a bound: <paramref name="timeout"/>.
    /// </summary>
    public async Task<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, TimeSpan timeout)
    {
        var transport = _transport ?? throw new InvalidOperationException("No transport configured for request/response.");
        var correlationId = Guid.NewGuid().ToString("N");
        var tcs = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingRequests[correlationId] = tcs;
        try
        {
            var envelope = SeedWire.Wrap(request, isRequest: true, replyTo: transport.ReplyAddress, correlationId);
            await transport.SendAsync(envelope).ConfigureAwait(false);
            var obj = await tcs.Task.WaitAsync(timeout).ConfigureAwait(false);
            if (obj is TResponse typed) return typed;
            if (obj is string s) return SeedWire.Deserialize<TResponse>(s);
            throw new InvalidOperationException($"Response type mismatch for correlationId={correlationId}.");
        }
        finally
        {
            _pendingRequests.TryRemove(correlationId, out _);
        }
    }

    /// <summary>The seed's <c>OnTransportMessageAsync</c>: responses complete a pending request, the rest is dispatched.</summary>
    private async Task OnTransportMessageAsync(SeedEnvelope envelope)
    {
        if (envelope.IsResponse)
        {
            // The seed resolves the named type of every message, responses included, before looking at it.
            if (Type.GetType(envelope.EventType, throwOnError: false) is null) return;
            if (_pendingRequests.TryRemove(envelope.CorrelationId, out var tcs)) tcs.TrySetResult(envelope.PayloadJson);
            return;
        }
        var response = await Dispatcher.OnEnvelopeAsync(envelope).ConfigureAwait(false);
        if (response is not null && _transport is not null) await _transport.SendAsync(response).ConfigureAwait(false);
    }
}
