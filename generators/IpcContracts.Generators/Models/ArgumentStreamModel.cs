namespace IpcContracts.Generators.Models
{
    /// <summary>
    /// The <c>IAsyncEnumerable&lt;T&gt;</c>, <c>Stream</c> or <c>PipeReader</c> parameter of a request method (caller to handler). It is not a member of the
    /// JSON argument object: the proxy hands the caller's sequence to the channel, which sends its items after the
    /// Request, and the dispatcher passes the call's own <c>IAsyncEnumerable&lt;T&gt;</c> of received items in its place.
    /// </summary>
    /// <param name="Identifier">The C# identifier, escaped when it is a keyword.</param>
    /// <param name="Position">Its index among the method's parameters without the trailing CancellationToken, so generated
    /// signatures and calls put it back where the contract declares it.</param>
    /// <param name="ParameterCode">The parameter's type as the contract declares it
    /// (<c>global::System.Collections.Generic.IAsyncEnumerable&lt;int&gt;</c>), for the proxy's explicit implementation.</param>
    /// <param name="Item">The <c>T</c> each item carries: a payload with its own <c>IpcJsonTypes</c> property, or
    /// <c>ReadOnlyMemory&lt;byte&gt;</c> for a byte stream.</param>
    /// <param name="Bytes">For a <c>Stream</c> or <c>PipeReader</c> parameter, which one: the caller's bytes travel as chunks
    /// (<c>ByteStreams.Chunks</c>) and the handler reads them back as its own Stream or PipeReader.</param>
    internal sealed record ArgumentStreamModel(string Identifier, int Position, string ParameterCode, TypeRef Item, ByteStreamKind Bytes = ByteStreamKind.None);
}
