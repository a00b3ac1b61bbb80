namespace IpcContracts.Generators.Models
{
    /// <summary>
    /// What a generated JSON reader for a payload type needs (docs/serialization.md, "Generated readers"): the
    /// constructor System.Text.Json would call, parameter by parameter. The runtime checks it against System.Text.Json's
    /// metadata before using the reader, so this is the generator's proposal, not the last word.
    /// </summary>
    internal sealed record ReaderShape(EquatableArray<ReaderParameter> Parameters);

    /// <param name="Name">The parameter's C# name (System.Text.Json's metadata reports the same).</param>
    /// <param name="TypeCode">Its type, <c>global::</c>-qualified, for locals and <c>typeof</c>.</param>
    /// <param name="ValueMethod">The <c>GeneratedReaderValues</c> method that reads it (<c>String</c>, <c>Int32</c>, ...).</param>
    internal sealed record ReaderParameter(string Name, string TypeCode, string ValueMethod);
}
