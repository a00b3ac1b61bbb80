namespace IpcContracts;

/// <summary>
/// Optional per-method settings: the wire identity (keep a method's ID stable across a rename, or give overloads
/// distinct aliases, since method IDs come from names) and the caller's deadline for the method's calls.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class ContractMethodAttribute : Attribute
{
    /// <summary>Keeps the default alias (the method name).</summary>
    public ContractMethodAttribute() { }

    /// <summary>Uses <paramref name="alias"/> as the method's stable wire name.</summary>
    public ContractMethodAttribute(string alias) => Alias = alias;

    /// <summary>Stable wire name of the method; default is the method name.</summary>
    public string? Alias { get; }

    /// <summary>Explicit numeric method ID (non-zero) that replaces the hash of the alias.</summary>
    public uint Id { get; set; }

    /// <summary>
    /// The deadline of this method's calls, in milliseconds, instead of the connection's
    /// <see cref="IpcOptions.DefaultCallTimeout"/>: a positive number, or <see cref="Timeout.Infinite"/> (-1) for no
    /// deadline (a long poll, a job that takes hours). Not set (0): the connection's default applies. A deadline set for
    /// one call with <see cref="IpcCall.WithTimeout"/> wins over this one, and the caller's token applies in any case.
    /// When it passes, the call fails with <see cref="TimeoutException"/> and the handler is cancelled. For a method
    /// returning <c>IAsyncEnumerable&lt;T&gt;</c> it bounds each wait of the consumer for the next item, as the
    /// default does. Request methods only; 0, any other negative number, and any value on an event are error IPC0032.
    /// </summary>
    /// <remarks>
    /// Milliseconds as an <see cref="int"/>, because an attribute argument must be a constant and <see cref="TimeSpan"/>
    /// cannot be one; it is also the unit of <see cref="Timeout.Infinite"/>. The generator reads the value at compile
    /// time into the method's descriptor; nothing reads the attribute at run time. The deadline is the caller's: it is
    /// not sent to the peer, which learns of it only through the Cancel sent when it passes (docs/protocol.md 7.3).
    /// </remarks>
    public int TimeoutMilliseconds { get; set; }
}
