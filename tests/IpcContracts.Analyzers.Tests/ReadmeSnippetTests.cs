using System.Text;
using System.Text.RegularExpressions;
using IpcContracts.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcContracts.Analyzers.Tests;

/// <summary>
/// The C# in README.md compiles: every <c>```csharp</c> block, against the runtime, the hosting package and the
/// generator, as one program with no error, no warning and no IPC diagnostic. A block's statements become the body of a
/// method of its own and its types stay top-level types, so a block may use the contracts and classes another block
/// declares. Names a block uses because it continues another one (<c>server</c>, <c>client</c>, <c>services</c>...) are
/// the fields of <see cref="Context"/>; everything else a block uses must be declared in README.md itself. A block right
/// after a line <c>&lt;!-- excerpt: why --&gt;</c> is a fragment (a few members of a contract, say) and is not compiled.
/// </summary>
public sealed class ReadmeSnippetTests
{
    /// <summary>What a block may use without declaring it: the variables earlier blocks made, by their README names.</summary>
    private const string Context = """
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;

        internal abstract class ReadmeContext
        {
            protected string[] args = [];
            protected IpcServer server = null!;
            protected IpcClient client = null!;
            protected IServiceCollection services = null!;
            protected IServiceProvider provider = null!;
            protected HostApplicationBuilder builder = null!;
        }
        """;

    /// <summary>The namespaces a file using these APIs imports, beyond ImplicitUsings.</summary>
    private const string Usings = """
        global using System.Collections.Concurrent;
        global using System.Runtime.CompilerServices;
        global using System.Text.Json.Serialization;
        global using IpcContracts;
        global using IpcContracts.Diagnostics;
        global using IpcContracts.Hosting;
        global using Microsoft.Extensions.DependencyInjection;
        global using Microsoft.Extensions.Hosting;
        global using OpenTelemetry.Metrics;
        global using OpenTelemetry.Trace;
        """;

    // A block's method has no await when its statements have none; that is not a defect of the snippet.
    private static readonly HashSet<string> Ignored = ["CS1998"];

    internal sealed record Block(int Line, string Text, bool Excerpt, string Section);

    internal static IReadOnlyList<Block> Blocks(string markdown)
    {
        var lines = markdown.Split('\n');
        var blocks = new List<Block>();
        var section = "";
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("## ", StringComparison.Ordinal)) section = lines[i][3..].Trim();
            if (lines[i].TrimEnd() != "```csharp") continue;
            var excerpt = i > 0 && lines[i - 1].StartsWith("<!-- excerpt:", StringComparison.Ordinal);
            var start = i + 1;
            var end = start;
            while (end < lines.Length && lines[end].TrimEnd() != "```") end++;
            blocks.Add(new Block(start + 1, string.Join('\n', lines[start..end]), excerpt, section));
            i = end;
        }
        return blocks;
    }

    private static IReadOnlyList<Block> ReadmeBlocks() =>
        Blocks(File.ReadAllText(Path.Combine(TestCompilation.RepoRoot, "README.md")).Replace("\r\n", "\n"));

    /// <summary>
    /// The block as a file: its statements inside <c>Run()</c> of a class deriving from the context, its types after it.
    /// <c>#line</c> directives keep every diagnostic at its line of README.md.
    /// </summary>
    internal static string Wrap(Block block, int index)
    {
        var root = CSharpSyntaxTree.ParseText(block.Text, TestCompilation.ParseOptions).GetCompilationUnitRoot();
        var text = new StringBuilder();
        foreach (var u in root.Usings) text.Append(Located(block, u)).Append('\n');
        text.Append($"#line hidden\ninternal sealed class ReadmeBlock{index} : ReadmeContext\n{{\n    private async Task Run()\n    {{\n");
        foreach (var statement in root.Members.OfType<GlobalStatementSyntax>()) text.Append(Located(block, statement)).Append('\n');
        text.Append("#line hidden\n    }\n}\n");
        foreach (var member in root.Members.Where(m => m is not GlobalStatementSyntax)) text.Append(Located(block, member)).Append('\n');
        return text.ToString();
    }

    private static string Located(Block block, SyntaxNode node) =>
        $"#line {block.Line + node.GetLocation().GetLineSpan().StartLinePosition.Line} \"README.md\"\n{node}";

    [Fact]
    public void Every_csharp_block_of_the_README_compiles_unless_marked_as_an_excerpt()
    {
        var blocks = ReadmeBlocks();
        var compiled = blocks.Where(b => !b.Excerpt).ToList();
        Assert.True(compiled.Count >= 8, $"only {compiled.Count} blocks found");

        var problems = Problems(compiled);

        Assert.True(problems.Count == 0, "README.md does not compile:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_blocks_that_start_servers_and_wire_handlers_are_compiled()
    {
        var blocks = ReadmeBlocks();
        var wiring = blocks.Where(b => b.Text.Contains("IpcServer.StartAsync(", StringComparison.Ordinal)
            || b.Text.Contains(".AddServer(", StringComparison.Ordinal) || b.Text.Contains("IpcCallContext", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(wiring);
        Assert.All(wiring, b => Assert.False(b.Excerpt, $"README.md:{b.Line} shows server wiring and must compile"));
        Assert.Contains(blocks, b => b.Section == "Server and client" && b.Text.Contains(".Publisher<IInventoryEvents>()", StringComparison.Ordinal));
    }

    [Fact]
    public void A_block_that_does_not_compile_is_reported_at_its_README_line()
    {
        var broken = new Block(100, "IInventory inventory = client.Proxy<IInventory>();\nint wrong = inventory;", false, "test");
        var contracts = ReadmeBlocks().First(b => b.Section == "Contracts");

        var problems = Problems([contracts, broken]);

        var problem = Assert.Single(problems);
        Assert.Contains("README.md(101,", problem);
        Assert.Contains("CS0029", problem);
    }

    private static List<string> Problems(IReadOnlyList<Block> blocks)
    {
        var sources = blocks.Select((b, i) => ($"/readme/block{i}.cs", Wrap(b, i)))
            .Append(("/readme/Context.cs", Context))
            .Append(("/readme/Usings.cs", Usings))
            .Append(("/implicit/GlobalUsings.cs", TestCompilation.ImplicitUsings));
        var compilation = TestCompilation.Create(sources,
            [MetadataReference.CreateFromFile(typeof(IpcContracts.Hosting.IpcHostingExtensions).Assembly.Location)], assemblyName: "Readme");

        var generated = TestCompilation.RunGenerators(compilation, out var run);
        var ipc = AnalyzerRunner.Run(compilation);

        return run.Diagnostics.Concat(generated.GetDiagnostics()).Concat(ipc)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && !Ignored.Contains(d.Id))
            .Select(d => d.ToString())
            .Distinct()
            .ToList();
    }
}
