using IpcContracts.Generators.Models;

namespace IpcContracts.Generators.Rules
{
    /// <summary>
    /// One broken contract rule: the diagnostic ID (see Analyzers/DiagnosticDescriptors.cs), where, the message
    /// arguments in the descriptor's order, and the properties a code fix reads. Plain values only.
    /// </summary>
    internal sealed record RuleViolation(string RuleId, RuleLocation? Location, EquatableArray<string> Arguments, EquatableArray<RuleProperty> Properties)
    {
        public static RuleViolation Create(string ruleId, RuleLocation? location, params string[] arguments) =>
            new RuleViolation(ruleId, location, new EquatableArray<string>(arguments), EquatableArray<RuleProperty>.Empty);

        public RuleViolation WithProperty(string key, string? value) =>
            this with { Properties = new EquatableArray<RuleProperty>(System.Linq.Enumerable.Append(Properties, new RuleProperty(key, value))) };
    }

    /// <summary>A Diagnostic.Properties entry a code fix reads.</summary>
    internal sealed record RuleProperty(string Key, string? Value);
}
