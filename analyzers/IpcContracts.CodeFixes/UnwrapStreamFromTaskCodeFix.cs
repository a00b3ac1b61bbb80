using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using IpcContracts.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcContracts.CodeFixes
{
    /// <summary>
    /// IPC0028: <c>Task&lt;IAsyncEnumerable&lt;T&gt;&gt;</c> (or ValueTask) becomes <c>IAsyncEnumerable&lt;T&gt;</c>, when the
    /// diagnostic says the unwrapped result would be valid (<see cref="DiagnosticDescriptors.UnwrapFixProperty"/>).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnwrapStreamFromTaskCodeFix)), Shared]
    public sealed class UnwrapStreamFromTaskCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.StreamInTaskId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            if (await ReturnTypeSyntax.FindAsync(context).ConfigureAwait(false) is not ({ } root, { } returnType))
                return;
            var diagnostic = context.Diagnostics[0];
            // The rulebook sets the property only when the unwrapped method is valid: no IAsyncEnumerable<Action>.
            if (!diagnostic.Properties.TryGetValue(DiagnosticDescriptors.UnwrapFixProperty, out string? fix) || fix is null)
                return;
            // The syntax must be what the rule saw, Task<IAsyncEnumerable<T>> spelled out (not through an alias or a
            // half-edited line): offer nothing rather than a guess.
            if (SingleTypeArgument(returnType, "Task", "ValueTask") is not { } stream || SingleTypeArgument(stream, "IAsyncEnumerable") is null)
                return;
            context.RegisterCodeFix(
                CodeAction.Create("Return IAsyncEnumerable<T> itself",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(returnType, stream.WithTriviaFrom(returnType)))),
                    nameof(UnwrapStreamFromTaskCodeFix)),
                diagnostic);
        }

        /// <summary>The type argument of <c>Name&lt;T&gt;</c> (qualified or not) when Name is one of <paramref name="names"/>.</summary>
        private static TypeSyntax? SingleTypeArgument(TypeSyntax type, params string[] names)
        {
            if (ReturnTypeSyntax.Name(type) is not GenericNameSyntax { TypeArgumentList.Arguments.Count: 1 } generic)
                return null;
            return System.Array.IndexOf(names, generic.Identifier.ValueText) >= 0 ? generic.TypeArgumentList.Arguments[0] : null;
        }
    }
}
