using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace IpcContracts.Analyzers.Tests.Infrastructure;

/// <summary>Applies a code fix (or its fix-all) in an AdhocWorkspace, the way an IDE does, and reads the result back.</summary>
internal static class CodeFixRunner
{
    public sealed record Files((string Path, string Text)[] Sources, (string Path, string Text)[] Additional)
    {
        public string Source(string path) => Sources.Single(s => s.Path == path).Text;

        public string? AdditionalText(string path) => Additional.SingleOrDefault(s => s.Path == path).Text;
    }

    /// <summary>Registers <paramref name="provider"/>'s fixes for the <paramref name="index"/>th <paramref name="id"/> diagnostic and applies the only one offered.</summary>
    public static async Task<(Files Files, string Title)> ApplyAsync(CodeFixProvider provider, string id, (string Path, string Text)[] sources,
        (string Path, string Text)[]? additional = null, int index = 0)
    {
        var project = CreateProject(sources, additional ?? []);
        var diagnostics = (await GetDiagnosticsAsync(project)).Where(d => d.Id == id).ToList();
        Assert.True(diagnostics.Count > index, $"expected at least {index + 1} {id} diagnostic(s), found {diagnostics.Count}");
        var diagnostic = diagnostics[index];
        var document = project.GetDocument(diagnostic.Location.SourceTree!)!;

        var actions = new List<CodeAction>();
        await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        var action = Assert.Single(actions);
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return (Read(solution.GetProject(project.Id)!), action.Title);
    }

    /// <summary>Runs the provider's fix-all over the whole project.</summary>
    public static async Task<Files> FixAllAsync(CodeFixProvider provider, string id, (string Path, string Text)[] sources, (string Path, string Text)[]? additional = null)
    {
        var project = CreateProject(sources, additional ?? []);
        var diagnostics = (await GetDiagnosticsAsync(project)).Where(d => d.Id == id).ToImmutableArray();
        Assert.NotEmpty(diagnostics);
        var document = project.GetDocument(diagnostics[0].Location.SourceTree!)!;

        var actions = new List<CodeAction>();
        await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostics[0], (a, _) => actions.Add(a), CancellationToken.None));
        var fixAll = provider.GetFixAllProvider()!;
        var context = new FixAllContext(document, provider, FixAllScope.Project, actions.Single().EquivalenceKey, [id],
            new FixedDiagnostics(diagnostics), CancellationToken.None);
        var action = (await fixAll.GetFixAsync(context))!;
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return Read(solution.GetProject(project.Id)!);
    }

    /// <summary>
    /// Applies the first fix any of <paramref name="providers"/> offers for the project's IPC diagnostics (in source
    /// order), as a user clicking the light bulb would; null when none is offered.
    /// </summary>
    public static async Task<(Files Files, string Id, string Title)?> ApplyFirstOfferedAsync(IReadOnlyList<CodeFixProvider> providers, Files files)
    {
        var project = CreateProject(files.Sources, files.Additional);
        foreach (var diagnostic in await GetDiagnosticsAsync(project))
        {
            if (!diagnostic.Location.IsInSource)
                continue;
            var document = project.GetDocument(diagnostic.Location.SourceTree!)!;
            foreach (var provider in providers.Where(p => p.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                var actions = new List<CodeAction>();
                await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
                if (actions.Count == 0)
                    continue;
                var operations = await actions[0].GetOperationsAsync(CancellationToken.None);
                var solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
                return (Read(solution.GetProject(project.Id)!), diagnostic.Id, actions[0].Title);
            }
        }
        return null;
    }

    /// <summary>The IPC diagnostics of the project as the IDE shows them (analyzers only, before generators).</summary>
    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Files files) =>
        await GetDiagnosticsAsync(CreateProject(files.Sources, files.Additional));

    private static Project CreateProject((string Path, string Text)[] sources, (string Path, string Text)[] additional)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(projectId, VersionStamp.Create(), "Contracts", "Contracts", LanguageNames.CSharp,
            filePath: "/src/Contracts.csproj", compilationOptions: TestCompilation.Options, parseOptions: TestCompilation.ParseOptions,
            metadataReferences: TestCompilation.References));
        foreach (var (path, text) in sources)
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), Path.GetFileName(path), SourceText.From(text), filePath: path);
        foreach (var (path, text) in additional)
            solution = solution.AddAdditionalDocument(DocumentId.CreateNewId(projectId), Path.GetFileName(path), SourceText.From(text), filePath: path);
        return solution.GetProject(projectId)!;
    }

    private static async Task<ImmutableArray<Diagnostic>> GetDiagnosticsAsync(Project project)
    {
        var compilation = (await project.GetCompilationAsync())!;
        var diagnostics = await compilation.WithAnalyzers(AnalyzerRunner.Analyzers, project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync();
        return diagnostics.OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
    }

    private static Files Read(Project project) => new(
        project.Documents.Select(d => (d.FilePath!, d.GetTextAsync().Result.ToString())).ToArray(),
        project.AdditionalDocuments.Select(d => (d.FilePath!, d.GetTextAsync().Result.ToString())).ToArray());

    /// <summary>
    /// Compiles the fixed project with the generators and the analyzers and asserts that it has no compiler errors and
    /// no <paramref name="id"/> diagnostic any more; returns every IPC diagnostic left.
    /// </summary>
    public static IReadOnlyList<Diagnostic> AssertFixed(Files files, string id)
    {
        var compilation = TestCompilation.Create(files.Sources);
        var generated = TestCompilation.RunGenerators(compilation, out _);
        var errors = generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The fixed code does not compile:\n" + string.Join("\n", errors) + "\n" + string.Join("\n----\n", files.Sources.Select(s => s.Text)));
        var diagnostics = AnalyzerRunner.Run(compilation, files.Additional);
        Assert.True(diagnostics.All(d => d.Id != id), $"{id} is still reported:\n" + string.Join("\n", diagnostics));
        return diagnostics;
    }

    private sealed class FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult(diagnostics.Where(d => d.Location.SourceTree?.FilePath == document.FilePath));

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(diagnostics.Where(d => !d.Location.IsInSource));
    }
}
