using IpcContracts.Analyzers.Baseline;
using IpcContracts.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using static IpcContracts.Analyzers.Tests.ContractShapeTests;

namespace IpcContracts.Analyzers.Tests;

/// <summary>IPC0022-IPC0026: the contract baseline in contracts.shipped.txt / contracts.unshipped.txt.</summary>
public sealed class BaselineTests
{
    private const string ShippedPath = "/src/contracts.shipped.txt";
    private const string UnshippedPath = "/src/contracts.unshipped.txt";

    private const string Inventory = """
        [RequestContract("inventory")]
        public interface IInventory
        {
            Task<int> CountAsync(string sku, CancellationToken ct = default);
            Task ReserveAsync(string sku, int quantity);
        }
        """;

    private static readonly uint InventoryId = Fnv1aForTests.Hash32("inventory");

    private static string ContractLine => $"0x{InventoryId:X8} request \"inventory\"";

    private static string Count => $"0x{InventoryId:X8}.0x{Fnv1aForTests.Hash32("CountAsync"):X8} \"CountAsync\" R:int(string sku)";

    private static string Reserve => $"0x{InventoryId:X8}.0x{Fnv1aForTests.Hash32("ReserveAsync"):X8} \"ReserveAsync\" R:void(string sku,int quantity)";

    private static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    [Fact]
    public void Without_baseline_files_the_baseline_rules_are_off()
    {
        Assert.Empty(AnalyzerRunner.Run(Prelude + Inventory));
    }

    [Fact]
    public void IPC0022_new_contract_is_reported_once_with_every_line_to_record()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + Inventory.Replace("public interface IInventory", "public interface {|IPC0022:IInventory|}"),
            (ShippedPath, "# nothing shipped yet\n"));

        var d = diagnostics.Single();
        Assert.Equal(Lines(ContractLine, Count, Reserve).TrimEnd('\n'), d.Properties["BaselineLines"]);
        Assert.Equal("/src", d.Properties["BaselineDirectory"]);
    }

    [Fact]
    public void IPC0022_new_method_of_a_recorded_contract_and_out_of_date_unshipped_line()
    {
        AnalyzerRunner.Verify(Prelude + Inventory.Replace("Task ReserveAsync", "Task {|IPC0022:ReserveAsync|}").Replace("Task<int> CountAsync", "Task<int> {|IPC0022:CountAsync|}"),
            (ShippedPath, Lines(ContractLine)),
            (UnshippedPath, Lines(Count.Replace("string sku", "int id"))));
    }

    [Fact]
    public void IPC0022_near_miss_everything_recorded_across_both_files()
    {
        AnalyzerRunner.Verify(Prelude + Inventory, (ShippedPath, Lines(ContractLine, Count)), (UnshippedPath, Lines(Reserve)));
    }

    [Fact]
    public void IPC0023_removed_shipped_method_and_removed_shipped_contract()
    {
        uint goneId = Fnv1aForTests.Hash32("gone");
        string gone = $"0x{goneId:X8} event \"gone\"";
        string goneMethod = $"0x{goneId:X8}.0x{Fnv1aForTests.Hash32("Changed"):X8} \"Changed\" E:void(int id)";
        string removed = $"0x{InventoryId:X8}.0x{Fnv1aForTests.Hash32("ReleaseAsync"):X8} \"ReleaseAsync\" R:void(string sku)";

        var diagnostics = AnalyzerRunner.Verify(Prelude + Inventory.Replace("public interface IInventory", "public interface {|IPC0023:IInventory|}"),
            (ShippedPath, Lines("# shipped in 1.0", ContractLine, Count, Reserve, removed, gone, goneMethod)));

        var inFile = diagnostics.Where(d => !d.Location.IsInSource).ToList();
        var fileDiagnostic = Assert.Single(inFile);
        Assert.Equal("IPC0023", fileDiagnostic.Id);
        Assert.Equal(ShippedPath, fileDiagnostic.Location.GetLineSpan().Path);
        Assert.Equal(5, fileDiagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Contains("contract 'gone'", fileDiagnostic.GetMessage());
        Assert.Contains("method 'ReleaseAsync'", diagnostics.Single(d => d.Location.IsInSource).GetMessage());
    }

    [Fact]
    public void IPC0023_near_miss_retired_entries_may_be_gone()
    {
        uint goneId = Fnv1aForTests.Hash32("gone");
        string removed = $"0x{InventoryId:X8}.0x{Fnv1aForTests.Hash32("ReleaseAsync"):X8} \"ReleaseAsync\" R:void(string sku)";

        AnalyzerRunner.Verify(Prelude + Inventory,
            (ShippedPath, Lines(ContractLine, Count, Reserve, removed, $"0x{goneId:X8} event \"gone\"")),
            (UnshippedPath, Lines("retired " + removed, $"retired 0x{goneId:X8}")));
    }

    [Fact]
    public void IPC0024_changed_parameter_result_and_kind()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract("inventory")]
            public interface IInventory
            {
                Task<long> {|IPC0024:CountAsync|}(string sku, CancellationToken ct = default);
                Task {|IPC0024:ReserveAsync|}(string sku, long quantity);
            }
            [EventContract("other")] public interface {|IPC0024:IOther|} { void Changed(); }
            """,
            (ShippedPath, Lines(ContractLine, Count, Reserve, $"0x{Fnv1aForTests.Hash32("other"):X8} request \"other\"",
                $"0x{Fnv1aForTests.Hash32("other"):X8}.0x{Fnv1aForTests.Hash32("Changed"):X8} \"Changed\" E:void()")));
    }

    [Fact]
    public void IPC0024_near_miss_token_and_nullability_do_not_change_the_shape()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract("inventory")]
            public interface IInventory
            {
                Task<int> CountAsync(string? sku);
                ValueTask ReserveAsync(string sku, int quantity, CancellationToken ct);
            }
            """,
            (ShippedPath, Lines(ContractLine, Count, Reserve)));
    }

    [Fact]
    public void IPC0024_near_miss_an_added_optional_trailing_parameter_is_compatible_and_only_asks_to_record_the_new_shape()
    {
        // The runtime accepts it both ways (docs/versioning.md), so it is no break; the new line goes to contracts.unshipped.txt
        // so that the next change is judged against the shape peers will have.
        var diagnostics = AnalyzerRunner.Verify(Prelude + Inventory.Replace("Task<int> CountAsync(string sku,", "Task<int> {|IPC0022:CountAsync|}(string sku, int limit = 10,"),
            (ShippedPath, Lines(ContractLine, Count, Reserve)));

        var d = Assert.Single(diagnostics);
        Assert.Equal(Count.Replace("(string sku)", "(string sku,int limit=)"), d.Properties["BaselineLines"]);
        Assert.Contains("only by optional trailing parameters", d.GetMessage());

        // Recorded: nothing left to report.
        AnalyzerRunner.Verify(Prelude + Inventory.Replace("Task<int> CountAsync(string sku,", "Task<int> CountAsync(string sku, int limit = 10,"),
            (ShippedPath, Lines(ContractLine, Count, Reserve)), (UnshippedPath, Lines(Count.Replace("(string sku)", "(string sku,int limit=)"))));
    }

    [Fact]
    public void IPC0024_a_required_parameter_added_or_an_optional_one_changed_is_still_a_break()
    {
        AnalyzerRunner.Verify(Prelude + Inventory.Replace("Task<int> CountAsync(string sku,", "Task<int> {|IPC0024:CountAsync|}(string sku, int limit,")
                .Replace("Task ReserveAsync(string sku, int quantity)", "Task {|IPC0024:ReserveAsync|}(string sku, int quantity, long batch = 0)"),
            (ShippedPath, Lines(ContractLine, Count, Reserve.Replace("int quantity)", "int quantity,int batch=)"))));
    }

    [Fact]
    public void IPC0025_retired_ids_reused()
    {
        AnalyzerRunner.Verify(Prelude + Inventory.Replace("Task ReserveAsync", "Task {|IPC0025:ReserveAsync|}") + """

            [RequestContract("old")] public interface {|IPC0025:IOld|} { Task PingAsync(); }
            """,
            (ShippedPath, Lines(ContractLine, Count, "retired " + Reserve, $"retired 0x{Fnv1aForTests.Hash32("old"):X8} request \"old\"")));
    }

    [Fact]
    public void IPC0025_near_miss_new_alias_instead_of_the_retired_one()
    {
        AnalyzerRunner.Verify(Prelude + Inventory.Replace("Task ReserveAsync", "[ContractMethod(\"ReserveV2\")] Task ReserveAsync"),
            (ShippedPath, Lines(ContractLine, Count, "retired " + Reserve)),
            (UnshippedPath, Lines($"0x{InventoryId:X8}.0x{Fnv1aForTests.Hash32("ReserveV2"):X8} \"ReserveV2\" R:void(string sku,int quantity)")));
    }

    [Fact]
    public void IPC0026_unreadable_lines()
    {
        var diagnostics = AnalyzerRunner.Run(Prelude + Inventory,
            (ShippedPath, Lines(ContractLine, Count, Reserve, "inventory request", "0x1234 rpc \"x\"", "0x1234.0x5678 GetAsync R:int()", "0x1234.0x5678 \"GetAsync\" int")));

        Assert.Equal(["IPC0026"], diagnostics.Select(d => d.Id).Distinct());
        Assert.Equal([3, 4, 5, 6], diagnostics.Select(d => d.Location.GetLineSpan().StartLinePosition.Line));
        Assert.All(diagnostics, d => Assert.Equal(ShippedPath, d.Location.GetLineSpan().Path));
    }

    [Fact]
    public void IPC0026_near_miss_comments_blank_lines_and_retired_keys()
    {
        Assert.Empty(AnalyzerRunner.Run(Prelude + Inventory,
            (ShippedPath, Lines("# header", "", "   ", ContractLine, Count, Reserve, "retired 0x00000001", "retired 0x00000001.0x00000002", "  # indented comment"))));
    }

    [Fact]
    public void Format_round_trips_aliases_with_quotes_spaces_and_backslashes()
    {
        string line = BaselineFormat.ContractLine(0xABCDEF01, isEvent: true, "my \"odd\" alias\\x");
        var entry = BaselineFormat.Parse(line, 0, out string? error);

        Assert.Null(error);
        Assert.Equal("my \"odd\" alias\\x", entry!.Alias);
        Assert.Equal("event", entry.Kind);
        Assert.Equal(0xABCDEF01u, entry.Key.ContractId);

        string method = BaselineFormat.MethodLine(1, 2, "Get (v2)", "R:(int a, int b)(System.Collections.Generic.Dictionary<string, int> map)");
        var m = BaselineFormat.Parse(method, 0, out error);
        Assert.Null(error);
        Assert.Equal("R:(int a, int b)(System.Collections.Generic.Dictionary<string, int> map)", m!.Signature);
        Assert.Equal("Get (v2)", m.Alias);
        Assert.Equal(new BaselineKey(1, 2), m.Key);
    }

    [Fact]
    public void Merge_replaces_lines_with_the_same_key_and_appends_the_rest()
    {
        string merged = BaselineFormat.Merge(Lines("# mine", ContractLine, Count.Replace("string sku", "int id")), [Count, Reserve]);

        Assert.Equal(Lines("# mine", ContractLine, Count, Reserve), merged);
        Assert.StartsWith("# ", BaselineFormat.Merge(null, [ContractLine]));
    }
}
