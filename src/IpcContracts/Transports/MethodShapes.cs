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

    /// <summary>
    /// True when <paramref name="remoteFingerprint"/> is the fingerprint of a shape without optional parameters that
    /// <paramref name="local"/> can talk to: <paramref name="local"/> with its optional markers (<c>=</c>) removed and
    /// none, some or all of its optional trailing parameters left out. A sender whose shape has no optional parameter need
    /// not send its signature: this is the whole of what <see cref="Incompatibility"/> would accept from it (every other
    /// shape without optional parameters differs in the result, in a common parameter, or by a required parameter only
    /// one side has).
    /// </summary>
    /// <param name="local">This side's signature of the method (its manifest's <c>sig</c>).</param>
    /// <param name="remoteFingerprint">The other side's fingerprint (FNV-1a 64 of its signature, docs/protocol.md 6.2).</param>
    public static bool AcceptsFingerprintWithoutOptionals(string local, ulong remoteFingerprint)
    {
        ArgumentNullException.ThrowIfNull(local);
        if (!ShapeCompatibility.TryParse(local, out var result, out var parameters)) return false;
        var required = parameters.Count;
        while (required > 0 && parameters[required - 1].Optional) required--;
        for (var count = parameters.Count; count >= required; count--)
        {
            var shape = result + "(" + string.Join(",", parameters.Take(count).Select(p => p.Text)) + ")";
            if (Fnv1a.Hash64(shape) == remoteFingerprint) return true;
        }
        return false;
    }
}
