using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcContracts.CodeFixes
{
    /// <summary>Syntax the return-type fixes (IPC0005, IPC0006, IPC0028) share.</summary>
    internal static class ReturnTypeSyntax
    {
        /// <summary>The document root and the method return type the diagnostic points at; null when it points elsewhere.</summary>
        public static async Task<(SyntaxNode Root, TypeSyntax ReturnType)?> FindAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root?.FindNode(context.Span, getInnermostNodeForTie: true) is not TypeSyntax returnType ||
                returnType.Parent is not MethodDeclarationSyntax method || method.ReturnType != returnType)
                return null;
            return (root, returnType);
        }

        /// <summary>The simple name a type is written with (<c>Task</c> for <c>Task</c>, <c>System.Threading.Tasks.Task&lt;int&gt;</c>...), else null.</summary>
        public static SimpleNameSyntax? Name(TypeSyntax type) => type switch
        {
            QualifiedNameSyntax q => q.Right,
            AliasQualifiedNameSyntax a => a.Name,
            SimpleNameSyntax s => s,
            _ => null,
        };
    }
}
