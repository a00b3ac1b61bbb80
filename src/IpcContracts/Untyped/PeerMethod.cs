namespace IpcContracts;

/// <summary>One method of a <see cref="PeerContract"/>, as the peer listed it.</summary>
public sealed class PeerMethod
{
    internal PeerMethod(uint id, string name, ulong fingerprint, string signature)
    {
        Id = id;
        Name = name;
        Fingerprint = fingerprint;
        Signature = signature;
    }

    /// <summary>The method's wire ID.</summary>
    public uint Id { get; }

    /// <summary>The method's alias, the name untyped calls use.</summary>
    public string Name { get; }

    /// <summary>The shape fingerprint; 0 for an untyped method, which accepts any argument object.</summary>
    public ulong Fingerprint { get; }

    /// <summary>The canonical signature the fingerprint hashes, e.g. <c>R:int(int a, int b)</c>; <c>untyped</c> for an untyped method.</summary>
    public string Signature { get; }

    /// <summary>
    /// The method returns a stream (<c>IAsyncEnumerable&lt;T&gt;</c>, <c>Stream</c> or <c>PipeReader</c>): an untyped caller
    /// reads it with <see cref="IpcConnection.InvokeRawStream"/>, not <see cref="IpcConnection.InvokeRawAsync"/>.
    /// </summary>
    public bool ReturnsStream => Connections.PeerManifest.ReturnsStream(Signature);

    /// <summary>The method takes a stream parameter (docs/protocol.md 7.9), which untyped calls cannot send.</summary>
    public bool TakesStream => Connections.PeerManifest.TakesStream(Signature);
}
