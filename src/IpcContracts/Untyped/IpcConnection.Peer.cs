namespace IpcContracts;

public sealed partial class IpcConnection
{
    /// <summary>
    /// Every contract the peer listed in its handshake, with its methods, wire IDs and signatures (docs/protocol.md,
    /// section 4): what a tool needs to call or watch a peer it has no generated code for.
    /// </summary>
    public IReadOnlyList<PeerContract> PeerContracts => _peer?.Contracts ?? [];
}
