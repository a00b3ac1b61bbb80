using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace IpcContracts.CodeFixes
{
    /// <summary>
    /// Fix-all for fixes that edit a file other than the one the diagnostic is in (a JSON context, the baseline): the
    /// batch fixer would merge many edits of one spot; this collects every diagnostic in scope and applies them per
    /// project in one change.
    /// </summary>
    internal sealed class ProjectWideFixAllProvider : FixAllProvider
    {
        private readonly Func<Project, ImmutableArray<Diagnostic>, CancellationToken, Task<Solution>> _apply;

        public ProjectWideFixAllProvider(Func<Project, ImmutableArray<Diagnostic>, CancellationToken, Task<Solution>> apply) => _apply = apply;

        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() =>
            new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

        public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
        {
            var byProject = new List<(ProjectId Project, ImmutableArray<Diagnostic> Diagnostics)>();
            switch (fixAllContext.Scope)
            {
                case FixAllScope.Document when fixAllContext.Document is { } document:
                    byProject.Add((document.Project.Id, await fixAllContext.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false)));
                    break;
                case FixAllScope.Project:
                    byProject.Add((fixAllContext.Project.Id, await fixAllContext.GetAllDiagnosticsAsync(fixAllContext.Project).ConfigureAwait(false)));
                    break;
                case FixAllScope.Solution:
                    foreach (var project in fixAllContext.Solution.Projects)
                        byProject.Add((project.Id, await fixAllContext.GetAllDiagnosticsAsync(project).ConfigureAwait(false)));
                    break;
                default:
                    return null;
            }

            string title = fixAllContext.CodeActionEquivalenceKey ?? "Fix all";
            return CodeAction.Create(title, async ct =>
            {
                var solution = fixAllContext.Solution;
                foreach (var (projectId, diagnostics) in byProject)
                {
                    if (diagnostics.IsEmpty || solution.GetProject(projectId) is not { } project)
                        continue;
                    solution = await _apply(project, diagnostics, ct).ConfigureAwait(false);
                }
                return solution;
            }, title);
        }
    }
}
