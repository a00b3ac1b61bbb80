using System.Collections.Concurrent;
using IpcContracts.Protocol;
using IpcContracts.Runtime;

namespace IpcContracts.Connections;

/// <summary>The peer's Hello manifest, indexed for the checks made on every call.</summary>
internal sealed class PeerManifest
{
    private readonly Dictionary<uint, (ManifestContract Contract, Dictionary<uint, ManifestMethod> Methods)> _contracts = [];
    private readonly Dictionary<string, ManifestContract> _byAlias = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, ManifestMethod> _busHandles = [];
    private readonly ConcurrentDictionary<(ManifestMethod Peer, ulong Local), string?> _verdicts = new();

    public PeerManifest(Manifest manifest)
    {
        Name = manifest.Name;
        Contracts = Untyped.PeerContracts.From(manifest); // the public view (IpcConnection.PeerContracts), built once
        foreach (var c in manifest.Contracts)
        {
            _contracts[c.Id] = (c, c.Methods.GroupBy(m => m.Id).ToDictionary(g => g.Key, g => g.First()));
            _byAlias.TryAdd(c.Alias, c);
        }
        foreach (var b in manifest.BusHandles) _busHandles[b.Id] = b;
    }

    public string Name { get; }

    /// <summary>Every contract the peer listed, for tools (IpcConnection.PeerContracts).</summary>
    public IReadOnlyList<PeerContract> Contracts { get; }

    /// <summary>Null when the peer can take the call; otherwise the exception that names what is wrong.</summary>
    public ContractMismatchException? CheckRequest(MethodDescriptor method)
    {
        var contract = method.Contract;
        if (!_contracts.TryGetValue(contract.Id, out var entry))
            return new(contract.Alias, method.Name,
                $"The peer '{Name}' does not know contract '{contract.Alias}' (ID 0x{contract.Id:X8}); it was built without it or with another alias or ID.");
        if (contract.Kind == ContractKind.Request && !entry.Contract.Handled)
            return new(contract.Alias, method.Name, $"The peer '{Name}' has no handler for contract '{contract.Alias}'.");
        return CheckMethod(entry.Methods, contract.Alias, method);
    }

    /// <summary>Null when the peer knows the event contract with the same shapes.</summary>
    public ContractMismatchException? CheckEventContract(ContractDescriptor contract)
    {
        if (!_contracts.TryGetValue(contract.Id, out var entry))
            return new(contract.Alias, null,
                $"The peer '{Name}' does not know event contract '{contract.Alias}' (ID 0x{contract.Id:X8}), so it can never publish it.");
        foreach (var m in contract.Methods)
        {
            if (entry.Methods.TryGetValue(m.Id, out var pm) && ShapeMismatch(contract.Alias, m, pm) is { } mismatch)
                return mismatch;
        }
        return null;
    }

    /// <summary>True when the Hello listed a handler for the request type with this fingerprint.</summary>
    public bool AdvertisesBusHandler(uint requestTypeId, ulong fingerprint) =>
        _busHandles.TryGetValue(requestTypeId, out var h) && h.Fingerprint == fingerprint;

    public ContractMismatchException? CheckBusRequest(uint requestTypeId, string requestName, ulong fingerprint)
    {
        // Handlers added after the handshake are not in the manifest, so an unlisted type is still sent;
        // the peer answers with a mismatch Error if it really has no handler.
        if (!_busHandles.TryGetValue(requestTypeId, out var h)) return null;
        if (h.Fingerprint != fingerprint)
            return new("$bus", requestName, $"The peer '{Name}' answers '{requestName}' with another response type.");
        return null;
    }

    /// <summary>Resolves an untyped call's names to wire IDs.</summary>
    public (uint ContractId, uint MethodId, string Signature)? Resolve(string alias, string method, out ContractMismatchException? error)
    {
        error = null;
        if (!_byAlias.TryGetValue(alias, out var c))
        {
            error = new(alias, method, $"The peer '{Name}' does not know contract '{alias}'.");
            return null;
        }
        var m = c.Methods.FirstOrDefault(x => x.Name == method);
        if (m is null)
        {
            error = new(alias, method, $"The peer's contract '{alias}' has no method '{method}'.");
            return null;
        }
        return (c.Id, m.Id, m.Signature);
    }

    /// <summary>How the signature of a method returning <c>IAsyncEnumerable&lt;T&gt;</c> begins.</summary>
    public const string StreamResultPrefix = "R:System.Collections.Generic.IAsyncEnumerable<";

    /// <summary>
    /// True for a method whose result is a stream of items: <c>IAsyncEnumerable&lt;T&gt;</c>, or bytes as a <c>Stream</c> or
    /// <c>PipeReader</c> (docs/protocol.md 7.10), which travel as a stream of chunks.
    /// </summary>
    public static bool ReturnsStream(string signature) =>
        signature.StartsWith(StreamResultPrefix, StringComparison.Ordinal)
        || signature.StartsWith("R:System.IO.Stream(", StringComparison.Ordinal)
        || signature.StartsWith("R:System.IO.Pipelines.PipeReader(", StringComparison.Ordinal);

    private static readonly char[] ParameterStarts = ['(', ','];

    /// <summary>
    /// True for a method with an argument stream: an <c>IAsyncEnumerable&lt;T&gt;</c>, <c>Stream</c> or <c>PipeReader</c>
    /// parameter (docs/protocol.md 7.9), listed in the signature's parameters as its type and name (section 6.2).
    /// </summary>
    public static bool TakesStream(string signature)
    {
        // Each parameter starts right after '(' or ','; a type argument list cannot hold these names followed by a space.
        for (var at = signature.IndexOfAny(ParameterStarts); at >= 0; at = signature.IndexOfAny(ParameterStarts, at + 1))
        {
            var parameter = signature.AsSpan(at + 1);
            if (parameter.StartsWith("System.Collections.Generic.IAsyncEnumerable<", StringComparison.Ordinal)
                || parameter.StartsWith("System.IO.Stream ", StringComparison.Ordinal)
                || parameter.StartsWith("System.IO.Pipelines.PipeReader ", StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    private ContractMismatchException? CheckMethod(Dictionary<uint, ManifestMethod> methods, string alias, MethodDescriptor method)
    {
        if (!methods.TryGetValue(method.Id, out var pm))
            return new(alias, method.Name, $"The peer's contract '{alias}' has no method '{method.Name}' (ID 0x{method.Id:X8}).");
        return ShapeMismatch(alias, method, pm);
    }

    /// <summary>
    /// Null when the peer's method can take this side's calls (or send it its events): the same fingerprint, a peer
    /// <c>fp</c> of 0 (untyped), or signatures that differ only by optional trailing parameters (<see cref="ShapeCompatibility"/>).
    /// </summary>
    private ContractMismatchException? ShapeMismatch(string alias, MethodDescriptor method, ManifestMethod peer)
    {
        if (peer.Fingerprint == 0 || peer.Fingerprint == method.ShapeFingerprint)
            return null;
        // Reached on every call of a method whose shapes differ, so the verdict is kept (per peer method and local shape).
        var why = _verdicts.GetOrAdd((peer, method.ShapeFingerprint), static (key, local) => ShapeCompatibility.Incompatibility(local, key.Peer.Signature), method.Signature);
        return why is null ? null : new(alias, method.Name,
            $"Method '{method.Name}' of contract '{alias}' has another shape on the peer '{Name}': here {method.Signature}, there {peer.Signature} ({why}).");
    }
}
