using System.Text.RegularExpressions;
using IpcContracts.Analyzers.Tests.Infrastructure;
using IpcContracts.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace IpcContracts.Analyzers.Tests;

/// <summary>Every descriptor has its help page, its README row and its release-tracking line, all saying the same thing.</summary>
public sealed class DocumentationTests
{
    public static TheoryData<string> Ids => new(Descriptors().Select(d => d.Id));

    private static IEnumerable<DiagnosticDescriptor> Descriptors() =>
        typeof(DiagnosticDescriptors).GetFields()
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Id, StringComparer.Ordinal);

    /// <summary>Every diagnostic ID, in order.</summary>
    public static IEnumerable<string> AllIds => Descriptors().Select(d => d.Id);

    /// <summary>The help link of diagnostic <paramref name="id"/>.</summary>
    public static string HelpLinkOf(string id) => Descriptors().Single(d => d.Id == id).HelpLinkUri;

    private static readonly HashSet<string> Fixable = typeof(AddToBaselineCodeFix).Assembly.GetTypes()
        .Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
        .SelectMany(t => ((CodeFixProvider)Activator.CreateInstance(t)!).FixableDiagnosticIds)
        .ToHashSet();

    [Fact]
    public void Ids_are_consecutive_from_IPC0001_and_every_one_is_supported_by_an_analyzer()
    {
        var ids = Descriptors().Select(d => d.Id).ToList();
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => $"IPC{i:D4}"), ids);
        var supported = AnalyzerRunner.Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Order();
        Assert.Equal(ids, supported);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Help_page_README_row_and_release_line_agree(string id)
    {
        var descriptor = Descriptors().Single(d => d.Id == id);
        string severity = descriptor.DefaultSeverity.ToString();
        Assert.Equal($"https://github.com/ipccontracts/ipccontracts/blob/main/docs/diagnostics/{id}.md", descriptor.HelpLinkUri);

        string page = File.ReadAllText(Path.Combine(TestCompilation.RepoRoot, "docs", "diagnostics", id + ".md"));
        Assert.StartsWith($"# {id}: {descriptor.Title}\n", page);
        Assert.Contains($"| Severity | {severity} |", page);
        Assert.Contains($"| Category | {descriptor.Category} |", page);
        Assert.Equal(Fixable.Contains(id), !page.Contains("| Code fix | none |"));
        Assert.Contains("## How to fix", page);

        string readme = File.ReadAllText(Path.Combine(TestCompilation.RepoRoot, "README.md"));
        Assert.Contains($"| [{id}](docs/diagnostics/{id}.md) | {severity} | {descriptor.Title} | {(Fixable.Contains(id) ? "yes" : "")} |", readme);

        string releases = File.ReadAllText(Path.Combine(TestCompilation.RepoRoot, "generators", "IpcContracts.Generators", "AnalyzerReleases.Unshipped.md"));
        Assert.Matches(new Regex($@"^{id} \| {Regex.Escape(descriptor.Category)} \| {severity} \|", RegexOptions.Multiline), releases);
    }

    [Fact]
    public void Messages_tell_what_to_do()
    {
        // Every message format ends with an instruction: "...; do this" or "...: do that".
        foreach (var d in Descriptors())
        {
            string message = d.MessageFormat.ToString();
            Assert.True(Regex.IsMatch(message, @"(;|:|\.) [^;]*\b(add|make|declare|keep|give|return|move|pass|use|name|restore|choose|correct|put|subscribe|mark|split|remove)\b", RegexOptions.IgnoreCase),
                $"{d.Id}: '{message}' does not say what to do");
        }
    }
}
