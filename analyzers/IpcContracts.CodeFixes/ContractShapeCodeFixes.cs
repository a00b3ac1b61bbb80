using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using IpcContracts.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace IpcContracts.CodeFixes
{
    /// <summary>
    /// IPC0005: wrap a request method's return type in Task (void becomes Task, T becomes Task&lt;T&gt;), when the
    /// diagnostic says the result would be valid (<see cref="DiagnosticDescriptors.ReturnFixProperty"/>).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(WrapReturnTypeInTaskCodeFix)), Shared]
    public sealed class WrapReturnTypeInTaskCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.RequestReturnTypeId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            if (await ReturnTypeSyntax.FindAsync(context).ConfigureAwait(false) is not ({ } root, { } returnType))
                return;
            var diagnostic = context.Diagnostics[0];
            // The rulebook sets the property only when the fixed method is valid: no Task<Action>, no Task<IAsyncEnumerable<T>>.
            if (!diagnostic.Properties.TryGetValue(DiagnosticDescriptors.ReturnFixProperty, out string? fix) || fix is null)
                return;
            var inner = returnType is RefTypeSyntax refType ? refType.Type : returnType;
            bool isVoid = fix == DiagnosticDescriptors.ReturnFixTask;
            bool dropRefOnly = fix == DiagnosticDescriptors.ReturnFixDropRef;
            string innerName = ReturnTypeSyntax.Name(inner)?.Identifier.ValueText ?? "";
            if (dropRefOnly != (returnType is RefTypeSyntax && innerName is "Task" or "ValueTask" or "IAsyncEnumerable"))
                return; // the syntax is not what the rule saw (an alias, a half-edited line): offer nothing rather than a guess
            string title = dropRefOnly ? (innerName == "IAsyncEnumerable" ? "Return the stream without 'ref'" : "Return the task without 'ref'")
                : isVoid ? "Return Task" : "Wrap the return type in Task<T>";
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => WrapAsync(context.Document, root, returnType, inner, isVoid, dropRefOnly), nameof(WrapReturnTypeInTaskCodeFix)),
                diagnostic);
        }

        private static async Task<Document> WrapAsync(Document document, SyntaxNode root, TypeSyntax returnType, TypeSyntax inner, bool isVoid, bool dropRefOnly)
        {
            TypeSyntax replacement;
            if (dropRefOnly)
            {
                replacement = inner.WithoutTrivia();
            }
            else
            {
                var task = SyntaxFactory.ParseTypeName("global::System.Threading.Tasks.Task");
                replacement = isVoid
                    ? task
                    : SyntaxFactory.QualifiedName(
                        SyntaxFactory.ParseName("global::System.Threading.Tasks"),
                        SyntaxFactory.GenericName(SyntaxFactory.Identifier("Task"), SyntaxFactory.TypeArgumentList(SyntaxFactory.SingletonSeparatedList(inner.WithoutTrivia()))));
                replacement = replacement.WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            }
            replacement = replacement.WithTriviaFrom(returnType);
            var updated = document.WithSyntaxRoot(root.ReplaceNode(returnType, replacement));
            return await ImportAdder.AddImportsAsync(updated, Simplifier.AddImportsAnnotation).ConfigureAwait(false);
        }
    }

    /// <summary>IPC0006: an event method returns void.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EventReturnsVoidCodeFix)), Shared]
    public sealed class EventReturnsVoidCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.EventReturnTypeId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            if (await ReturnTypeSyntax.FindAsync(context).ConfigureAwait(false) is not ({ } root, { } returnType))
                return;
            context.RegisterCodeFix(
                CodeAction.Create("Return void (events are one-way)",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(returnType,
                        SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.VoidKeyword)).WithTriviaFrom(returnType)))),
                    nameof(EventReturnsVoidCodeFix)),
                context.Diagnostics[0]);
        }
    }

    /// <summary>IPC0007: drop ref/out/in from a contract parameter.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PassByValueCodeFix)), Shared]
    public sealed class PassByValueCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.ByRefParameterId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root?.FindNode(context.Span, getInnermostNodeForTie: true) is not ParameterSyntax parameter || parameter.Identifier.IsKind(SyntaxKind.ArgListKeyword))
                return;
            context.RegisterCodeFix(
                CodeAction.Create("Pass the parameter by value", _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(parameter, RemoveRefKind(parameter)))),
                    nameof(PassByValueCodeFix)),
                context.Diagnostics[0]);
        }

        private static ParameterSyntax RemoveRefKind(ParameterSyntax parameter)
        {
            var keep = parameter.Modifiers.Where(m => !m.IsKind(SyntaxKind.RefKeyword) && !m.IsKind(SyntaxKind.OutKeyword) &&
                                                      !m.IsKind(SyntaxKind.InKeyword) && !m.IsKind(SyntaxKind.ReadOnlyKeyword) &&
                                                      !m.IsKind(SyntaxKind.ScopedKeyword)).ToList();
            var leading = parameter.GetLeadingTrivia();
            var updated = parameter.WithModifiers(SyntaxFactory.TokenList(keep));
            return updated.WithLeadingTrivia(leading);
        }
    }

    /// <summary>IPC0011: move the CancellationToken to the end of the parameter list.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MoveCancellationTokenLastCodeFix)), Shared]
    public sealed class MoveCancellationTokenLastCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.CancellationTokenNotLastId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root?.FindNode(context.Span, getInnermostNodeForTie: true) is not ParameterSyntax token ||
                token.Parent is not ParameterListSyntax list ||
                list.Parameters.Any(p => p.Modifiers.Any(SyntaxKind.ParamsKeyword)))
                return;
            context.RegisterCodeFix(
                CodeAction.Create("Move the CancellationToken to the end", _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(list, Move(list, token)))),
                    nameof(MoveCancellationTokenLastCodeFix)),
                context.Diagnostics[0]);
        }

        private static ParameterListSyntax Move(ParameterListSyntax list, ParameterSyntax token)
        {
            var parameters = list.Parameters.Where(p => p != token).Select(p => p.WithoutTrivia()).ToList();
            parameters.Add(token.WithoutTrivia());
            var separators = Enumerable.Repeat(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space), parameters.Count - 1);
            return list.WithParameters(SyntaxFactory.SeparatedList(parameters, separators));
        }
    }

    /// <summary>IPC0013: give an overload its own alias with [ContractMethod("...")].</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddMethodAliasCodeFix)), Shared]
    public sealed class AddMethodAliasCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.OverloadWithoutAliasId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var diagnostic = context.Diagnostics[0];
            if (!diagnostic.Properties.TryGetValue(DiagnosticDescriptors.AliasProperty, out string? alias) || alias is null)
                return;
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var method = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault();
            if (root is null || method is null || method.Identifier.Span != context.Span)
                return;
            context.RegisterCodeFix(
                CodeAction.Create($"Add [ContractMethod(\"{alias}\")]", ct => AddAliasAsync(context.Document, method, alias, ct), nameof(AddMethodAliasCodeFix)),
                diagnostic);
        }

        private static async Task<Document> AddAliasAsync(Document document, MethodDeclarationSyntax method, string alias, CancellationToken cancellationToken)
        {
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            var attribute = SyntaxFactory.Attribute(
                SyntaxFactory.ParseName("global::IpcContracts.ContractMethod").WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation),
                SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(
                    SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(alias))))));
            editor.AddAttribute(method, SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute)).WithAdditionalAnnotations(Formatter.Annotation));
            return await ImportAdder.AddImportsAsync(editor.GetChangedDocument(), Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
