using System.Buffers;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Runtime;

namespace IpcContracts.Connections;

/// <summary>
/// An event handed to subscribers; events have no reply. One instance per delivery site is reused for every event
/// (<see cref="InboundEventQueue"/>: one for the reader thread, one for the event loop): a subscriber reads the call only
/// in its synchronous part (its payload is valid only until then, and the token is the connection's), so no event needs
/// an object of its own.
/// </summary>
internal sealed class InboundEvent(IpcConnection connection) : InboundCall
{
    private uint _methodId;
    private ReadOnlySequence<byte> _payload;
    private ReadOnlySequence<byte> _binary;
    private bool _hasBinary;

    /// <summary>Points this object at the next event (or, with defaults, at nothing, so it holds no payload memory).</summary>
    public InboundEvent Set(uint methodId, in ReadOnlySequence<byte> payload, bool hasBinary = false, in ReadOnlySequence<byte> binary = default)
    {
        _methodId = methodId;
        _payload = payload;
        _hasBinary = hasBinary;
        _binary = binary;
        return this;
    }

    public override uint MethodId => _methodId;
    public override ReadOnlySequence<byte> Payload => _payload;

    internal override bool TryGetBinary(out ReadOnlySequence<byte> bytes)
    {
        bytes = _binary;
        return _hasBinary;
    }

    public override CancellationToken CancellationToken => connection.Lifetime;
    public override IpcConnection Connection => connection;
    public override void Reply<T>(T value, JsonTypeInfo<T> typeInfo) { }
    public override void ReplyEmpty() { }
}
