using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace IpcContracts.Generators.Rules
{
    /// <summary>
    /// Where a violation is, as plain values (file path and spans) rather than a Roslyn <see cref="Location"/>, so rule
    /// results compare by value and hold on to no syntax tree. The analyzers map it back into their compilation.
    /// </summary>
    internal sealed record RuleLocation(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        /// <summary>Null for locations outside source (metadata), which diagnostics report at the contract instead.</summary>
        public static RuleLocation? From(Location? location) =>
            location is { IsInSource: true, SourceTree: { } tree }
                ? new RuleLocation(tree.FilePath, location.SourceSpan, location.GetLineSpan().Span)
                : null;

        public static RuleLocation? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());
    }
}
