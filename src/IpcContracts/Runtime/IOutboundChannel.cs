using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Runtime;

/// <summary>
/// Where generated proxies send calls and events: a connection (one peer) or a server publisher
/// (every subscribed peer).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IOutboundChannel
{
    /// <summary>Sends a request and deserializes its result with <paramref name="resultType"/>.</summary>
    Task<TResult> RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken);

    /// <summary>Sends a request that has no result value.</summary>
    Task RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="RequestAsync{TArgs, TResult}(MethodDescriptor, TArgs, ArgsWriter{TArgs}, JsonTypeInfo{TResult}, CancellationToken)"/>,
    /// for a contract method that returns <see cref="ValueTask{TResult}"/>: a connection (or a client) completes it from a
    /// pooled source, so a call allocates nothing of its own. Other channels keep this default, which wraps the Task.
    /// </summary>
    ValueTask<TResult> RequestValueAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken) =>
        new(RequestAsync(method, args, writeArgs, resultType, cancellationToken));

    /// <summary>As the overload with a result, for a method returning <see cref="ValueTask"/>.</summary>
    ValueTask RequestValueAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken) =>
        new(RequestAsync(method, args, writeArgs, cancellationToken));

    /// <summary>Queues a one-way event; frames leave in the order they are published.</summary>
    void Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs);

    /// <summary>
    /// A request with an <see cref="IProgress{T}"/> parameter: the handler's reports come back as Progress frames and
    /// are passed to <paramref name="progress"/> (off the connection's reader thread, in order) while the call runs.
    /// Reports the connection cannot send in time are coalesced (docs/protocol.md, "Progress"). Channels that cannot make
    /// calls keep the default, which throws.
    /// </summary>
    Task<TResult> RequestAsync<TArgs, TResult, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not make calls with progress.");

    /// <summary>As the overload with a result, for a request that has no result value.</summary>
    Task RequestAsync<TArgs, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not make calls with progress.");

    /// <summary>
    /// A request with an <see cref="IAsyncEnumerable{T}"/> parameter: <paramref name="argumentItems"/> is enumerated after
    /// the Request is queued and its items are sent to the handler as its credit allows (docs/protocol.md, "Argument
    /// streams"); the enumeration stops when the handler stops reading or the call ends. Channels that cannot make calls
    /// keep the default, which throws.
    /// </summary>
    Task<TResult> RequestStreamingAsync<TArgs, TResult, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not make calls with argument streams.");

    /// <summary>As the overload with a result, for a request that has no result value.</summary>
    Task RequestStreamingAsync<TArgs, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not make calls with argument streams.");

    /// <summary>
    /// A request with an <see cref="IAsyncEnumerable{T}"/> parameter and an <see cref="IProgress{T}"/> parameter: the argument
    /// stream as in the overload without progress, the handler's reports as in the progress
    /// overload of <c>RequestAsync</c>. Channels that cannot make calls keep the default, which throws.
    /// </summary>
    Task<TResult> RequestStreamingAsync<TArgs, TResult, TArgItem, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType,
        IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not make calls with argument streams.");

    /// <summary>As the overload with a result, for a request that has no result value.</summary>
    Task RequestStreamingAsync<TArgs, TArgItem, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType,
        IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not make calls with argument streams.");

    /// <summary>Both ways: an argument stream to the handler and a stream result back (each with its own credit window).</summary>
    IAsyncEnumerable<TItem> Stream<TArgs, TItem, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not make calls with argument streams.");

    /// <summary>
    /// A request whose result is a stream of items (a contract method returning <see cref="IAsyncEnumerable{T}"/>).
    /// Cold: each enumeration sends its own Request. Items arrive in order under the stream's credit window
    /// (docs/protocol.md); breaking out of <c>await foreach</c> or cancelling either token stops the producer.
    /// Channels that cannot make calls (event publishers) keep the default, which throws.
    /// </summary>
    IAsyncEnumerable<TItem> Stream<TArgs, TItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not make calls; streams need a connection or a client.");
}
