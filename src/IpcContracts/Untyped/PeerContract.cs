namespace IpcContracts;

/// <summary>One contract the peer listed in its handshake (docs/protocol.md, section 4): what tools such as <c>ipc list</c> show.</summary>
public sealed class PeerContract
{
    internal PeerContract(uint id, string alias, ContractKind kind, bool handled, IReadOnlyList<PeerMethod> methods)
    {
        Id = id;
        Alias = alias;
        Kind = kind;
        Handled = handled;
        Methods = methods;
    }

    /// <summary>The contract's wire ID.</summary>
    public uint Id { get; }

    /// <summary>The contract's alias, the name untyped calls use.</summary>
    public string Alias { get; }

    /// <summary>Request or event contract.</summary>
    public ContractKind Kind { get; }

    /// <summary>True when the peer has a handler for this request contract (false for a contract it only knows).</summary>
    public bool Handled { get; }

    /// <summary>The methods, in the order the peer listed them.</summary>
    public IReadOnlyList<PeerMethod> Methods { get; }
}
