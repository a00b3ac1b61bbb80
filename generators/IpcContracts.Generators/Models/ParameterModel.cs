namespace IpcContracts.Generators.Models
{
    /// <summary>One payload parameter: a member of the JSON argument object (every parameter except the trailing CancellationToken, an IProgress&lt;T&gt; and an IAsyncEnumerable&lt;T&gt;).</summary>
    /// <param name="Identifier">The C# identifier, escaped when it is a keyword (<c>@class</c>).</param>
    /// <param name="JsonName">The member name in the argument object (no <c>@</c>).</param>
    /// <param name="Default">The declared default as a C# expression, what the dispatcher passes when the member is missing; null for <c>default</c>.</param>
    internal sealed record ParameterModel(string Identifier, string JsonName, TypeRef Type, string? Default = null);
}
