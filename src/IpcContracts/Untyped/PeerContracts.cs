using IpcContracts.Protocol;

namespace IpcContracts.Untyped;

/// <summary>Builds the public, read-only view of a peer's Hello manifest.</summary>
internal static class PeerContracts
{
    public static IReadOnlyList<PeerContract> From(Manifest manifest) =>
        [.. manifest.Contracts.Select(c => new PeerContract(c.Id, c.Alias, c.Kind, c.Handled,
            [.. c.Methods.Select(m => new PeerMethod(m.Id, m.Name, m.Fingerprint, m.Signature))]))];

    /// <summary>The name of an event's method as the sending peer listed it; the ID in hex when it did not list it.</summary>
    public static string MethodName(IpcConnection connection, uint contractId, uint methodId)
    {
        foreach (var c in connection.PeerContracts)
        {
            if (c.Id != contractId) continue;
            foreach (var m in c.Methods)
                if (m.Id == methodId) return m.Name;
        }
        return $"0x{methodId:X8}";
    }
}
