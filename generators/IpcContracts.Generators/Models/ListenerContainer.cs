namespace IpcContracts.Generators.Models
{
    /// <summary>A partial type around a nested event contract, re-declared so the listener can sit next to the interface.</summary>
    /// <param name="Keyword">The declaration keyword(s): <c>class</c>, <c>struct</c>, <c>interface</c>, <c>record</c> or <c>record struct</c>.</param>
    /// <param name="Name">The type's name as an identifier (escaped if it is a keyword).</param>
    internal sealed record ListenerContainer(string Keyword, string Name);
}
