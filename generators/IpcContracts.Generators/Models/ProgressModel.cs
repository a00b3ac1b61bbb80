namespace IpcContracts.Generators.Models
{
    /// <summary>
    /// The <c>IProgress&lt;T&gt;</c> parameter of a request method. It is not a member of the JSON argument object: the
    /// proxy hands it to the channel, which raises it for each Progress frame, and the dispatcher passes the call's own
    /// <c>IProgress&lt;T&gt;</c> in its place.
    /// </summary>
    /// <param name="Identifier">The C# identifier, escaped when it is a keyword.</param>
    /// <param name="Position">Its index among the method's parameters without the trailing CancellationToken, so generated
    /// signatures and calls put it back where the contract declares it.</param>
    /// <param name="ParameterCode">The parameter's type as the contract declares it (<c>global::System.IProgress&lt;int&gt;?</c>), for
    /// the proxy's explicit implementation.</param>
    /// <param name="Value">The <c>T</c> each report carries: a payload with its own <c>IpcJsonTypes</c> property.</param>
    internal sealed record ProgressModel(string Identifier, int Position, string ParameterCode, TypeRef Value);
}
