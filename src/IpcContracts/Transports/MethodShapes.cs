using IpcContracts.Protocol;

namespace IpcContracts.Transports;

/// <summary>
/// The rule by which two shapes of one method can talk to each other (docs/versioning.md, docs/protocol.md 4.2), for a
/// transport that checks shapes per message instead of through the peer's manifest (a broker transport, where the peer of
/// the connection is the broker and the real sender is only known when its message arrives). It is the rule the runtime
/// applies to a peer's manifest, so a contract change that works over one transport works over all of them.
/// </summary>
public static class MethodShapes
{
    /// <summary>
    /// Null when calls and events can pass between the two canonical signatures (equal, or differing only by optional
    /// trailing parameters, marked <c>=</c>); otherwise a short reason, for an error message.
    /// </summary>
    /// <param name="local">This side's signature of the method (its manifest's <c>sig</c>).</param>
    /// <param name="remote">The other side's signature.</param>
    public static string? Incompatibility(string local, string remote)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        return ShapeCompatibility.Incompatibility(local, remote);
    }
}
