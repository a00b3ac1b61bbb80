namespace IpcContracts.Generators.Models
{
    /// <summary>One contract method with its wire identity computed at compile time.</summary>
    /// <param name="Name">The C# method name as an identifier (escaped if it is a keyword).</param>
    /// <param name="MemberSuffix">Unique, identifier-safe suffix for generated members (overloads get an index).</param>
    /// <param name="DeclaringInterface">The interface that declares it (the contract or one of its bases), <c>global::</c>-qualified.</param>
    /// <param name="Alias">The method's wire name.</param>
    /// <param name="Id">Wire ID: the explicit override or FNV-1a 32 of <see cref="Alias"/>.</param>
    /// <param name="Result">The <c>T</c> of <c>Task&lt;T&gt;</c>/<c>ValueTask&lt;T&gt;</c>, the item type <c>T</c> of <c>IAsyncEnumerable&lt;T&gt;</c>, else null.</param>
    /// <param name="CancellationTokenIdentifier">Name of the trailing CancellationToken parameter, or null.</param>
    /// <param name="Signature">Canonical signature text the fingerprint hashes.</param>
    /// <param name="Fingerprint">FNV-1a 64 of <see cref="Signature"/>.</param>
    /// <param name="Progress">The request method's <c>IProgress&lt;T&gt;</c> parameter (not one of <see cref="Parameters"/>), or null.</param>
    /// <param name="ArgumentStream">The request method's <c>IAsyncEnumerable&lt;T&gt;</c>, <c>Stream</c> or <c>PipeReader</c> parameter (not one of <see cref="Parameters"/>), or null.</param>
    /// <param name="ResultBytes">For a <c>Task</c>/<c>ValueTask</c> of <c>Stream</c> or <c>PipeReader</c> (<see cref="Result"/> is that type), which
    /// one: the handler's bytes travel back as a stream of chunks.</param>
    /// <param name="TimeoutMilliseconds">[ContractMethod(TimeoutMilliseconds)]: positive, or -1 (Timeout.Infinite) for none; 0 when not set (the connection's default applies).</param>
    internal sealed record MethodModel(
        string Name,
        string MemberSuffix,
        string DeclaringInterface,
        string Alias,
        uint Id,
        ReturnShape Returns,
        TypeRef? Result,
        EquatableArray<ParameterModel> Parameters,
        string? CancellationTokenIdentifier,
        string Signature,
        ulong Fingerprint,
        ProgressModel? Progress = null,
        ArgumentStreamModel? ArgumentStream = null,
        ByteStreamKind ResultBytes = ByteStreamKind.None,
        int TimeoutMilliseconds = 0);
}
