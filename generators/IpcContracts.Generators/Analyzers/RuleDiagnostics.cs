using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using IpcContracts.Generators.Rules;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers
{
    /// <summary>Turns the rulebook's plain-value violations into diagnostics of the analyzed compilation.</summary>
    internal static class RuleDiagnostics
    {
        public static Diagnostic ToDiagnostic(RuleViolation violation, IReadOnlyDictionary<string, DiagnosticDescriptor> descriptors, INamedTypeSymbol type, Compilation compilation)
        {
            ImmutableDictionary<string, string?>? properties = violation.Properties.Count == 0
                ? null
                : ImmutableDictionary.CreateRange(violation.Properties.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
            return Diagnostic.Create(descriptors[violation.RuleId], ToLocation(violation.Location, type, compilation), properties,
                violation.Arguments.Cast<object>().ToArray());
        }

        /// <summary>
        /// The source location a <see cref="RuleLocation"/> names: in one of the contract's own syntax trees (where every
        /// rule reports), else any tree of the compilation with that path; null means the contract itself.
        /// </summary>
        public static Location ToLocation(RuleLocation? location, INamedTypeSymbol type, Compilation compilation)
        {
            if (location is null)
                return type.Locations.FirstOrDefault() ?? Location.None;
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree.FilePath == location.FilePath)
                    return Location.Create(reference.SyntaxTree, location.Span);
            }
            foreach (var tree in compilation.SyntaxTrees)
            {
                if (tree.FilePath == location.FilePath)
                    return Location.Create(tree, location.Span);
            }
            return Location.Create(location.FilePath, location.Span, location.LineSpan);
        }
    }
}
