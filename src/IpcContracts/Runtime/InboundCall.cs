using System.Buffers;
using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Runtime;

/// <summary>An inbound request or event handed to a generated dispatcher.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class InboundCall
{
    /// <summary>Method wire ID from the frame header.</summary>
    public abstract uint MethodId { get; }

    /// <summary>The JSON argument object. Valid only until the dispatcher's first await.</summary>
    public abstract ReadOnlySequence<byte> Payload { get; }

    /// <summary>Cancelled when the caller cancels, the deadline passes or the connection drops.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>The connection the call arrived on (for callbacks into the caller).</summary>
    public abstract IpcConnection Connection { get; }

    /// <summary>Completes a request with a value.</summary>
    public abstract void Reply<T>(T value, JsonTypeInfo<T> typeInfo);

    /// <summary>Completes a request that has no result value.</summary>
    public abstract void ReplyEmpty();

    // The reusable reply of a handler that finishes later (ReplyLater or ReplyLater<T>): a connection reuses its call
    // objects, so a steady method costs no object per call here.
    private object? _replyLater;

    /// <summary>
    /// For a handler that had not finished when the dispatcher returned: replies with the result of
    /// <paramref name="task"/> once it completes (or fails the request with what it threw). The returned ValueTask
    /// completes after that reply; await it exactly once.
    /// </summary>
    public ValueTask ReplyWhenDone<T>(ValueTask<T> task, JsonTypeInfo<T> typeInfo)
    {
        if (_replyLater is not ReplyLater<T> later) _replyLater = later = new ReplyLater<T>(this);
        return later.Start(task, typeInfo);
    }

    /// <summary>As <see cref="ReplyWhenDone{T}(ValueTask{T}, JsonTypeInfo{T})"/>, for a handler with no result.</summary>
    public ValueTask ReplyWhenDone(ValueTask task)
    {
        if (_replyLater is not ReplyLater later) _replyLater = later = new ReplyLater(this);
        return later.Start(task);
    }

    /// <summary>
    /// The <see cref="IProgress{T}"/> a handler receives for the method's progress parameter: each report is sent to the
    /// caller as a Progress frame while the call runs; reports after the reply are dropped.
    /// </summary>
    public virtual IProgress<T> Progress<T>(JsonTypeInfo<T> typeInfo) =>
        throw new NotSupportedException("This call cannot report progress.");

    /// <summary>
    /// The <see cref="IAsyncEnumerable{T}"/> a handler receives for the method's stream parameter: the caller's items, in
    /// order, as the handler reads them (credit is granted as it reads). It can be enumerated once; breaking out early
    /// tells the caller to stop sending.
    /// </summary>
    public virtual IAsyncEnumerable<T> ArgumentStream<T>(JsonTypeInfo<T> typeInfo) =>
        throw new NotSupportedException("This call has no argument stream.");

    /// <summary>
    /// Answers a request whose result is a stream: enumerates <paramref name="items"/> with the call's token, sends each
    /// item as the caller's credit window allows, then ends the stream (or sends the producer's exception). Completes
    /// when the stream has ended, failed or been cancelled by the caller.
    /// </summary>
    public virtual ValueTask ReplyStreamAsync<T>(IAsyncEnumerable<T> items, JsonTypeInfo<T> typeInfo) =>
        throw new NotSupportedException("This call cannot answer with a stream.");

    /// <summary>
    /// A method's binary argument: the frame's binary section when it has one (docs/protocol.md, "Binary payloads"), else
    /// <paramref name="fromJson"/>, the value the argument object carried (null, or base64 from an untyped caller). The
    /// bytes are the handler's own copy: they stay valid after the payload goes back to the connection.
    /// </summary>
    // A large frame read straight into an array of its own hands that array over instead of a copy (Connections/LargeFrame).
    public byte[]? BinaryArgument(byte[]? fromJson) => TryGetBinary(out var bytes) ? Connections.LargeFrame.TakeOrCopy(bytes) : fromJson;

    /// <inheritdoc cref="BinaryArgument(byte[])"/>
    public ReadOnlyMemory<byte> BinaryArgument(ReadOnlyMemory<byte> fromJson) => TryGetBinary(out var bytes) ? Connections.LargeFrame.TakeOrCopy(bytes) : fromJson;

    /// <inheritdoc cref="BinaryArgument(byte[])"/>
    public ReadOnlySequence<byte> BinaryArgument(ReadOnlySequence<byte> fromJson) =>
        TryGetBinary(out var bytes) ? new ReadOnlySequence<byte>(Connections.LargeFrame.TakeOrCopy(bytes)) : fromJson;

    /// <summary>The frame's binary section, when it has one. Valid, like <see cref="Payload"/>, until the first await.</summary>
    internal virtual bool TryGetBinary(out ReadOnlySequence<byte> bytes)
    {
        bytes = default;
        return false;
    }

    /// <summary>
    /// Thrown by generated dispatchers for a method ID the contract does not have. The method is named by
    /// its ID in hex (<c>0x</c> and 8 upper-case digits), the only name the caller's frame carries.
    /// </summary>
    public ContractMismatchException UnknownMethod(ContractDescriptor contract) =>
        new(contract.Alias, $"0x{MethodId:X8}", $"Contract '{contract.Alias}' has no method with ID 0x{MethodId:X8} in this process.")
        {
            IsDispatchFailure = true,
        };
}
