using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using IpcContracts.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace IpcContracts.CodeFixes
{
    /// <summary>
    /// IPC0017: adds [JsonSerializable(typeof(T))] to the JsonSerializerContext the generator uses, or creates a context
    /// (in the contract's namespace, next to the contract's file) when the project has none.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddJsonSerializableCodeFix)), Shared]
    public sealed class AddJsonSerializableCodeFix : CodeFixProvider
    {
        public const string NewContextName = "ContractsJsonContext";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.JsonTypeNotRegisteredId);

        public override FixAllProvider GetFixAllProvider() => new ProjectWideFixAllProvider(ApplyAsync);

        public override Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var diagnostic = context.Diagnostics[0];
            if (!diagnostic.Properties.TryGetValue(DiagnosticDescriptors.TypeNameProperty, out string? typeName) || typeName is null)
                return Task.CompletedTask;
            diagnostic.Properties.TryGetValue(DiagnosticDescriptors.ContextProperty, out string? contextName);
            string shortType = typeName.Replace("global::", "");
            string target = contextName is null ? "a new " + NewContextName : "'" + contextName.Substring(contextName.LastIndexOfAny(new[] { '.', '+' }) + 1) + "'";
            context.RegisterCodeFix(
                CodeAction.Create($"Add [JsonSerializable(typeof({shortType}))] to {target}",
                    ct => ApplyAsync(context.Document.Project, ImmutableArray.Create(diagnostic), ct),
                    nameof(AddJsonSerializableCodeFix)),
                diagnostic);
            return Task.CompletedTask;
        }

        private static async Task<Solution> ApplyAsync(Project project, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var relevant = diagnostics.Where(d => d.Id == DiagnosticDescriptors.JsonTypeNotRegisteredId &&
                                                  d.Properties.ContainsKey(DiagnosticDescriptors.TypeNameProperty)).ToList();
            var typeNames = relevant.Select(d => d.Properties[DiagnosticDescriptors.TypeNameProperty]!).Distinct().ToList();
            if (typeNames.Count == 0)
                return project.Solution;

            string? contextName = relevant.Select(d => d.Properties.TryGetValue(DiagnosticDescriptors.ContextProperty, out var c) ? c : null).FirstOrDefault(c => c is not null);
            var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
            if (compilation is null)
                return project.Solution;

            if (contextName is not null && compilation.GetTypeByMetadataName(contextName) is { } contextType &&
                await FindDeclarationAsync(project, contextType, cancellationToken).ConfigureAwait(false) is { } declaration)
            {
                var (document, classDeclaration) = declaration;
                var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
                foreach (string typeName in typeNames)
                    editor.AddAttribute(classDeclaration, JsonSerializableAttribute(typeName));
                var changed = await ImportAdder.AddImportsAsync(editor.GetChangedDocument(), Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
                return changed.Project.Solution;
            }

            var first = relevant[0];
            first.Properties.TryGetValue(DiagnosticDescriptors.ContextNamespaceProperty, out string? ns);
            bool needsAssemblyAttribute = first.Properties.TryGetValue(DiagnosticDescriptors.NeedsAssemblyAttributeProperty, out var flag) && flag == "true";
            return await CreateContextAsync(project, compilation, first, ns ?? "", typeNames, needsAssemblyAttribute, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The context's declaration in a regular document, preferring the one that already carries [JsonSerializable].</summary>
        private static async Task<(Document, ClassDeclarationSyntax)?> FindDeclarationAsync(Project project, INamedTypeSymbol contextType, CancellationToken cancellationToken)
        {
            (Document, ClassDeclarationSyntax)? fallback = null;
            foreach (var reference in contextType.DeclaringSyntaxReferences)
            {
                var document = project.Solution.GetDocument(reference.SyntaxTree);
                if (document is null || await reference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is not ClassDeclarationSyntax declaration)
                    continue;
                if (declaration.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString().Contains("JsonSerializable")))
                    return (document, declaration);
                fallback ??= (document, declaration);
            }
            return fallback;
        }

        private static AttributeListSyntax JsonSerializableAttribute(string typeName) =>
            SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
                SyntaxFactory.Attribute(
                    SyntaxFactory.ParseName("global::System.Text.Json.Serialization.JsonSerializable")
                        .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation),
                    SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.AttributeArgument(SyntaxFactory.TypeOfExpression(
                            SyntaxFactory.ParseTypeName(typeName).WithAdditionalAnnotations(Simplifier.Annotation))))))));

        private static async Task<Solution> CreateContextAsync(Project project, Compilation compilation, Diagnostic diagnostic, string ns, List<string> typeNames,
            bool needsAssemblyAttribute, CancellationToken cancellationToken)
        {
            string name = NewContextName;
            for (int n = 2; compilation.GetTypeByMetadataName(ns.Length == 0 ? name : ns + "." + name) is not null; n++)
                name = NewContextName + n;

            bool fileScoped = project.ParseOptions is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp10 };
            var sb = new StringBuilder();
            sb.Append("using System.Text.Json.Serialization;\n\n");
            if (needsAssemblyAttribute)
                sb.Append("[assembly: global::IpcContracts.IpcJsonContext(typeof(global::").Append(ns.Length == 0 ? "" : ns + ".").Append(name).Append("))]\n\n");
            string indent = "";
            if (ns.Length > 0)
            {
                if (fileScoped)
                {
                    sb.Append("namespace ").Append(ns).Append(";\n\n");
                }
                else
                {
                    sb.Append("namespace ").Append(ns).Append("\n{\n");
                    indent = "    ";
                }
            }
            sb.Append(indent).Append("/// <summary>System.Text.Json metadata for the payload types of this project's IPC contracts.</summary>\n");
            foreach (string typeName in typeNames)
                sb.Append(indent).Append("[JsonSerializable(typeof(").Append(typeName).Append("))]\n");
            sb.Append(indent).Append("internal partial class ").Append(name).Append(" : JsonSerializerContext\n");
            sb.Append(indent).Append("{\n").Append(indent).Append("}\n");
            if (ns.Length > 0 && !fileScoped)
                sb.Append("}\n");

            var tree = CSharpSyntaxTree.ParseText(sb.ToString(), (CSharpParseOptions?)project.ParseOptions, cancellationToken: cancellationToken);
            var root = await tree.GetRootAsync(cancellationToken).ConfigureAwait(false);
            root = root.ReplaceNodes(
                root.DescendantNodes().OfType<TypeOfExpressionSyntax>().Select(t => t.Type),
                (_, rewritten) => rewritten.WithAdditionalAnnotations(Simplifier.Annotation));

            var contractDocument = diagnostic.Location.SourceTree is { } sourceTree ? project.GetDocument(sourceTree) : null;
            string? directory = contractDocument?.FilePath is { } path ? DirectoryOf(path) : null;
            var document = project.AddDocument(name + ".cs", root, contractDocument?.Folders, directory is null ? null : directory + Separator(directory) + name + ".cs");
            document = await Simplifier.ReduceAsync(document, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return document.Project.Solution;
        }

        private static string DirectoryOf(string path)
        {
            int slash = System.Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
            return slash < 0 ? "" : path.Substring(0, slash);
        }

        private static string Separator(string directory) => directory.Length == 0 ? "" : directory.Contains("\\") && !directory.Contains("/") ? "\\" : "/";
    }
}
