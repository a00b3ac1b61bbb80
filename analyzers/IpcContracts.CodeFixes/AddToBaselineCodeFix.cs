using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using IpcContracts.Analyzers;
using IpcContracts.Analyzers.Baseline;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace IpcContracts.CodeFixes
{
    /// <summary>IPC0022: records a contract or method in contracts.unshipped.txt, creating the file next to contracts.shipped.txt if needed.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddToBaselineCodeFix)), Shared]
    public sealed class AddToBaselineCodeFix : CodeFixProvider
    {
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.NotInBaselineId);

        public override FixAllProvider GetFixAllProvider() => new ProjectWideFixAllProvider(ApplyAsync);

        public override Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var diagnostic = context.Diagnostics[0];
            if (diagnostic.Properties.ContainsKey(DiagnosticDescriptors.BaselineLinesProperty))
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Record in " + BaselineFormat.UnshippedFileName,
                        ct => ApplyAsync(context.Document.Project, ImmutableArray.Create(diagnostic), ct),
                        nameof(AddToBaselineCodeFix)),
                    diagnostic);
            }
            return Task.CompletedTask;
        }

        private static async Task<Solution> ApplyAsync(Project project, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var relevant = diagnostics.Where(d => d.Id == DiagnosticDescriptors.NotInBaselineId).ToList();
            var lines = relevant
                .Where(d => d.Properties.ContainsKey(DiagnosticDescriptors.BaselineLinesProperty))
                .OrderBy(d => d.Location.SourceTree?.FilePath ?? "", System.StringComparer.Ordinal)
                .ThenBy(d => d.Location.SourceSpan.Start)
                .SelectMany(d => d.Properties[DiagnosticDescriptors.BaselineLinesProperty]!.Split('\n'))
                .Distinct()
                .ToList();
            if (lines.Count == 0)
                return project.Solution;

            var existing = project.AdditionalDocuments.FirstOrDefault(d => BaselineFormat.IsUnshippedFile(d.FilePath ?? d.Name));
            if (existing is not null)
            {
                var text = await existing.GetTextAsync(cancellationToken).ConfigureAwait(false);
                return project.Solution.WithAdditionalDocumentText(existing.Id, SourceText.From(BaselineFormat.Merge(text.ToString(), lines), text.Encoding));
            }

            string directory = relevant
                .Select(d => d.Properties.TryGetValue(DiagnosticDescriptors.BaselineDirectoryProperty, out var dir) ? dir : null)
                .FirstOrDefault(d => !string.IsNullOrEmpty(d)) ?? "";
            string separator = directory.Length == 0 ? "" : directory.Contains("\\") && !directory.Contains("/") ? "\\" : "/";
            return project.Solution.AddAdditionalDocument(
                DocumentId.CreateNewId(project.Id, BaselineFormat.UnshippedFileName),
                BaselineFormat.UnshippedFileName,
                SourceText.From(BaselineFormat.Merge(null, lines), System.Text.Encoding.UTF8),
                folders: null,
                filePath: directory + separator + BaselineFormat.UnshippedFileName);
        }
    }
}
