using System.ComponentModel;

namespace IpcContracts.Runtime;

/// <summary>Wire identity of one contract method. Emitted by the generator; not for hand-written code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class MethodDescriptor
{
    /// <summary>Creates a descriptor.</summary>
    /// <param name="id">Method ID: FNV-1a 32 of the method alias, or the explicit override.</param>
    /// <param name="name">The method alias (default: the C# method name).</param>
    /// <param name="shapeFingerprint">FNV-1a 64 of the canonical signature text (docs/protocol.md).</param>
    /// <param name="signature">The canonical signature text, for error messages.</param>
    public MethodDescriptor(uint id, string name, ulong shapeFingerprint, string signature)
    {
        Id = id;
        Name = name;
        ShapeFingerprint = shapeFingerprint;
        Signature = signature;
    }

    /// <summary>Method wire ID.</summary>
    public uint Id { get; }

    /// <summary>Method alias.</summary>
    public string Name { get; }

    /// <summary>Shape fingerprint compared against the peer's manifest.</summary>
    public ulong ShapeFingerprint { get; }

    /// <summary>Canonical signature text the fingerprint was computed from.</summary>
    public string Signature { get; }

    private readonly TimeSpan? _callTimeout;

    /// <summary>
    /// The method's own deadline from <c>[ContractMethod(TimeoutMilliseconds = ...)]</c>: positive, or
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for none; null (not set) uses the connection's
    /// <see cref="IpcOptions.DefaultCallTimeout"/>. An init property rather than a constructor argument, so descriptors
    /// generated before it existed still compile, and the generator emits it only for a method that sets it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero, or negative other than infinite (the analyzer reports it as IPC0032 first).</exception>
    public TimeSpan? CallTimeout
    {
        get => _callTimeout;
        init => _callTimeout = value is { } t && t <= TimeSpan.Zero && t != System.Threading.Timeout.InfiniteTimeSpan
            ? throw new ArgumentOutOfRangeException(nameof(value), t, "A method's call timeout must be positive or Timeout.InfiniteTimeSpan.")
            : value;
    }

    private string? _description;

    /// <summary>"contract alias.method name", for messages (built once).</summary>
    internal string Description => _description ??= $"{Contract.Alias}.{Name}";

    /// <summary>The contract this method belongs to; set when the contract descriptor is built.</summary>
    public ContractDescriptor Contract { get; internal set; } = null!;
}
