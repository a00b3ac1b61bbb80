using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace IpcContracts.Benchmarks.ReflectionBaseline;

/// <summary>
/// The receiving half of seed 000's aggregator: what happens between a frame arriving and the reply frame
/// leaving. Types are resolved from the envelope's assembly-qualified name with <see cref="Type.GetType(string, bool)"/>,
/// payloads are parsed with the reflection-based serializer for that runtime type, request handlers are
/// found through weak references and called with <see cref="MethodBase.Invoke(object, object[])"/>, their
/// result is read back through the task's <c>Result</c> property, and events are delivered through a
/// generic method closed at run time with <see cref="MethodInfo.MakeGenericMethod"/>.
/// </summary>
/// <remarks>
/// As in the seed, handlers are held by <see cref="WeakReference"/>; the benchmark keeps strong references
/// to its delegates so they survive garbage collections (the seed's lambdas would not).
/// </remarks>
public sealed class SeedDispatcher
{
    private readonly ConcurrentDictionary<Type, List<WeakReference>> _eventSubscribers = new();
    private readonly ConcurrentDictionary<Type, List<WeakReference>> _requestSubscribers = new();

    /// <summary>Events delivered so far (lets a benchmark check that delivery happened).</summary>
    public long Delivered { get; private set; }

    public void Subscribe<TEvent>(Action<TEvent> handler)
    {
        var wr = new WeakReference(handler);
        _eventSubscribers.AddOrUpdate(typeof(TEvent), _ => [wr], (_, list) => { list.Add(wr); return list; });
    }

    public void SubscribeRequest<TRequest, TResponse>(Func<TRequest, Task<TResponse>> handler)
    {
        var wr = new WeakReference(handler);
        _requestSubscribers.AddOrUpdate(typeof(TRequest), _ => [wr], (_, list) => { list.Add(wr); return list; });
    }

    /// <summary>
    /// Handles one inbound frame as the seed's transport loop and <c>OnTransportMessageAsync</c> do. Returns
    /// the reply frame for a request (what the seed hands to its transport), null for an event.
    /// </summary>
    public async Task<byte[]?> OnFrameAsync(byte[] frame)
    {
        var envelope = SeedWire.Unframe(frame);
        if (envelope is null) return null;
        var response = await DispatchAsync(envelope).ConfigureAwait(false);
        return response is null ? null : SeedWire.Frame(response);
    }

    /// <summary>
    /// The seed's <c>OnTransportMessageAsync</c> for a request or an event, once its transport has parsed the envelope.
    /// Returns the response envelope the seed hands to <c>SendAsync</c> (null for an event, or when no handler answered).
    /// </summary>
    public Task<SeedEnvelope?> OnEnvelopeAsync(SeedEnvelope envelope) => DispatchAsync(envelope).AsTask();

    // A ValueTask, so that OnFrameAsync (the in-process dispatch rows) allocates nothing for this inner step when the
    // handler completes synchronously: those rows measure the seed's work, not this file's layering.
    private async ValueTask<SeedEnvelope?> DispatchAsync(SeedEnvelope envelope)
    {
        var eventType = Type.GetType(envelope.EventType, throwOnError: false);
        if (eventType is null) return null;
        if (envelope.IsResponse) return null; // the caller's side (SeedAggregator completes its pending request)

        var payloadObj = JsonSerializer.Deserialize(envelope.PayloadJson, eventType, SeedWire.PayloadOptions);
        if (payloadObj is null) return null;

        if (envelope.IsRequest)
        {
            object? responseObj = null;
            var hasHandler = false;
            if (_requestSubscribers.TryGetValue(eventType, out var subs))
            {
                for (var i = subs.Count - 1; i >= 0; i--)
                {
                    var target = subs[i].Target;
                    if (target is null)
                    {
                        subs.RemoveAt(i);
                        continue;
                    }
                    var invoke = target.GetType().GetMethod("Invoke");
                    if (invoke is null || invoke.GetParameters().Length != 1) continue;
                    hasHandler = true;
                    var taskObj = invoke.Invoke(target, [payloadObj]);
                    if (taskObj is Task task)
                    {
                        await task.ConfigureAwait(false);
                        var resultProperty = task.GetType().GetProperty("Result", BindingFlags.Public | BindingFlags.Instance);
                        responseObj = resultProperty?.GetValue(task);
                    }
                    break;
                }
            }
            if (!hasHandler || responseObj is null || envelope.ReplyTo is null) return null;
            return new SeedEnvelope
            {
                MessageId = Guid.NewGuid().ToString("N"),
                CorrelationId = envelope.CorrelationId,
                EventType = responseObj.GetType().AssemblyQualifiedName!,
                IsRequest = false,
                IsResponse = true,
                ReplyTo = envelope.ReplyTo,
                Timestamp = DateTimeOffset.UtcNow,
                PayloadJson = SeedWire.Serialize(responseObj),
            };
        }

        // One-way event: close the generic delivery method over the runtime type and invoke it.
        var deliver = typeof(SeedDispatcher).GetMethod(nameof(DeliverLocal), BindingFlags.NonPublic | BindingFlags.Instance)!;
        deliver.MakeGenericMethod(eventType).Invoke(this, [payloadObj]);
        return null;
    }

    private void DeliverLocal<TEvent>(TEvent eventData)
    {
        if (!_eventSubscribers.TryGetValue(typeof(TEvent), out var subs)) return;
        for (var i = subs.Count - 1; i >= 0; i--)
        {
            var target = subs[i].Target;
            if (target is Action<TEvent> handler)
            {
                handler(eventData);
                Delivered++;
            }
            else if (target is null)
            {
                subs.RemoveAt(i);
            }
        }
    }
}
