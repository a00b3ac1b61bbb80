using System.Text.Json;
using IpcContracts.Cli.Tests.Support;

namespace IpcContracts.Cli.Tests;

/// <summary>
/// <c>ipc diff</c> on two builds of a contracts assembly (tests/CliDiffFixtures: version 2 adds a method and a contract)
/// and on contract baselines, judged by the analyzers' own baseline rules (IPC0023-IPC0025): exit 1 on a breaking change.
/// </summary>
public sealed class DiffTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ipc-diff-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<ToolResult> Ipc(params string[] args) => Tool.Jit.RunAsync(args);

    private string Baseline(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Shipped = """
        # contracts.shipped.txt
        0xFCFDC43F request "inventory"
        0xFCFDC43F.0x1A693A8D "GetStockAsync" R:Shop.StockLevel(string sku)
        0xFCFDC43F.0xE28D78BD "ReserveAsync" R:void(Shop.Reservation reservation)
        retired 0xFCFDC43F.0x6497C06D "CancelAsync" R:void(string sku)
        """;

    [Fact]
    public async Task An_assembly_that_only_adds_is_not_breaking_and_exits_0()
    {
        var result = await Ipc("diff", Paths.ContractsV1, Paths.ContractsV2);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.StdoutLines, l => l.StartsWith("added: method 'CountAsync'", StringComparison.Ordinal));
        Assert.Contains(result.StdoutLines, l => l.StartsWith("added: contract 'shop.prices'", StringComparison.Ordinal));
        Assert.Contains("No breaking changes.", result.Stdout);
    }

    [Fact]
    public async Task An_assembly_that_removes_a_method_and_a_contract_is_breaking_and_exits_1()
    {
        var result = await Ipc("diff", Paths.ContractsV2, Paths.ContractsV1, "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        using var doc = JsonDocument.Parse(result.Stdout);
        var breaking = doc.RootElement.GetProperty("breaking").EnumerateArray()
            .Select(b => (Rule: b.GetProperty("rule").GetString(), Alias: b.GetProperty("alias").GetString(), Old: b.GetProperty("old").GetString())).ToList();
        Assert.Contains(("IPC0023", "CountAsync", "R:int()"), breaking);
        Assert.Contains(("IPC0023", "shop.prices", "request"), breaking);
        // The removed contract is reported once, at its contract line, not again for each of its methods.
        Assert.DoesNotContain(breaking, b => b.Alias == "GetPriceAsync");
        Assert.Equal(2, breaking.Count);
    }

    [Fact]
    public async Task Optional_trailing_parameters_are_a_compatible_change_and_a_parameter_type_change_is_not()
    {
        // The builds tests/IpcContracts.Tests/CrossProcess/VersioningTests.cs runs against each other: ipc diff agrees with the runtime.
        var result = await Ipc("diff", Paths.VersioningV1, Paths.VersioningV2);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(result.StdoutLines, l => l.StartsWith("IPC0024 changed: method 'ScaleAsync'", StringComparison.Ordinal) && l.EndsWith("R:int(int factor) -> R:int(long factor)", StringComparison.Ordinal));
        Assert.Contains(result.StdoutLines, l => l.StartsWith("changed compatibly: method 'DescribeAsync'", StringComparison.Ordinal) &&
            l.EndsWith("R:string(string name) -> R:string(string name,string greeting=,int times=) (only optional trailing parameters differ)", StringComparison.Ordinal));
        Assert.Contains(result.StdoutLines, l => l.StartsWith("changed compatibly: method 'Changed'", StringComparison.Ordinal) && l.Contains("E:void(string name) -> E:void(string name,int revision=)", StringComparison.Ordinal));
        Assert.Contains(result.StdoutLines, l => l.StartsWith("added: method 'RenameAsync'", StringComparison.Ordinal));
        Assert.Contains("1 breaking change(s)", result.Stdout);

        var json = await Ipc("diff", Paths.VersioningV1, Paths.VersioningV2, "--json");
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(["Changed", "DescribeAsync"], doc.RootElement.GetProperty("compatible").EnumerateArray().Select(c => c.GetProperty("alias").GetString()).Order());
    }

    [Fact]
    public async Task An_assembly_is_the_same_as_itself()
    {
        var result = await Ipc("diff", Paths.ContractsV1, Paths.ContractsV1);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("No wire changes.", result.Stdout.Trim());
    }

    [Fact]
    public async Task A_changed_signature_in_a_baseline_is_IPC0024()
    {
        var old = Baseline("old.txt", Shipped);
        var now = Baseline("new.txt", Shipped.Replace("R:Shop.StockLevel(string sku)", "R:Shop.StockLevel(string sku,int warehouse)"));

        var result = await Ipc("diff", old, now);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.StdoutLines, l => l == "IPC0024 changed: method 'GetStockAsync' (0xFCFDC43F.0x1A693A8D): R:Shop.StockLevel(string sku) -> R:Shop.StockLevel(string sku,int warehouse)");
    }

    [Fact]
    public async Task Reusing_a_retired_ID_is_IPC0025_and_removing_a_member_marked_retired_is_not_breaking()
    {
        var old = Baseline("old.txt", Shipped);
        var reused = Baseline("reused.txt", Shipped + "\n0xFCFDC43F.0x6497C06D \"CancelAsync\" R:void(string sku)\n");
        var retiredNow = Baseline("retired.txt", Shipped.Replace("0xFCFDC43F.0xE28D78BD \"ReserveAsync\"", "retired 0xFCFDC43F.0xE28D78BD \"ReserveAsync\""));
        var removed = Baseline("removed.txt", string.Join('\n', Shipped.Split('\n').Where(l => !l.Contains("ReserveAsync", StringComparison.Ordinal))));

        var reuse = await Ipc("diff", old, reused);
        var retire = await Ipc("diff", old, retiredNow);
        var remove = await Ipc("diff", old, removed);

        Assert.Equal(1, reuse.ExitCode);
        Assert.Contains("IPC0025", reuse.Stdout);
        Assert.True(retire.ExitCode == 0, retire.ToString());
        Assert.Equal(1, remove.ExitCode);
        Assert.Contains(remove.StdoutLines, l => l.StartsWith("IPC0023 removed: method 'ReserveAsync'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_folder_with_baseline_files_reads_both_files()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "project")).FullName;
        File.WriteAllText(Path.Combine(folder, "contracts.shipped.txt"), Shipped);
        File.WriteAllText(Path.Combine(folder, "contracts.unshipped.txt"), "0xFCFDC43F.0x11111111 \"NewAsync\" R:void()\n");

        var result = await Ipc("diff", Baseline("old.txt", Shipped), folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.StdoutLines, l => l.StartsWith("added: method 'NewAsync'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unreadable_input_is_a_usage_error_in_one_line()
    {
        var missing = await Ipc("diff", Path.Combine(_dir, "nope.dll"), Paths.ContractsV1);
        var malformed = await Ipc("diff", Baseline("bad.txt", "0xZZ request \"x\"\n"), Paths.ContractsV1);
        var noContracts = await Ipc("diff", Paths.ToolDll, Paths.ContractsV1);

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("bad.txt:1:", malformed.Stderr);
        Assert.Equal(2, noContracts.ExitCode);
        Assert.Contains("records no IpcContracts contracts", noContracts.Stderr);
    }
}
