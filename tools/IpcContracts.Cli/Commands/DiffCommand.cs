using System.CommandLine;
using System.Text.Json;
using IpcContracts.Analyzers.Baseline;
using IpcContracts.Cli.Diff;
using IpcContracts.Cli.Infrastructure;
using Spectre.Console;

namespace IpcContracts.Cli.Commands;

/// <summary><c>ipc diff OLD NEW</c>: wire-breaking changes between two versions, by the baseline analyzers' rules; exit 1 on a breaking change.</summary>
internal static class DiffCommand
{
    public static Command Create()
    {
        var oldPath = new Argument<string>("OLD") { Description = "The shipped version: a contracts assembly (.dll), a baseline file (contracts.shipped.txt) or a folder with baseline files." };
        var newPath = new Argument<string>("NEW") { Description = "The new version, in any of the same forms." };
        var json = CommonOptions.Json("the changes");
        var command = new Command("diff",
            "Show wire changes between two versions of a contracts assembly or two contract baselines; exit code 1 when one breaks the wire (IPC0023-IPC0025).")
            { oldPath, newPath, json };
        command.SetAction(result =>
        {
            var diff = ContractDiff.Compare(ContractSource.Read(result.GetValue(oldPath)!), ContractSource.Read(result.GetValue(newPath)!));
            if (result.GetValue(json)) Console.Out.WriteLine(ToJson(diff));
            else WriteText(diff);
            return diff.Breaking.Count > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    private static string Change(BaselineRule rule) => rule switch
    {
        BaselineRule.Removed => "removed",
        BaselineRule.Changed => "changed",
        _ => "retired ID reused",
    };

    private static string Describe(BaselineBreak b) => b.Rule switch
    {
        BaselineRule.Removed => $"{b.Recorded.Describe()} {b.Recorded.Shape}",
        BaselineRule.Changed => $"{b.Current!.Describe()}: {b.Recorded.Shape} -> {b.Current.Shape}",
        _ => $"{b.Current!.Describe()} uses the ID of retired {(b.Recorded.Alias is { } a ? "'" + a + "'" : b.Recorded.Key.ToString())}",
    };

    private static void WriteText(ContractDiff.Result diff)
    {
        var console = Terminal.Create();
        if (diff.Breaking.Count == 0 && diff.Added.Count == 0 && diff.Renamed.Count == 0 && diff.Compatible.Count == 0)
        {
            console.WriteLine("No wire changes.");
            return;
        }
        foreach (var b in diff.Breaking)
            console.MarkupLine($"[red]{b.DiagnosticId} {Change(b.Rule)}[/]: {Markup.Escape(Describe(b))}");
        foreach (var a in diff.Added)
            console.MarkupLine($"[green]added[/]: {Markup.Escape(a.Describe())}{Markup.Escape(a.Shape is { } s ? " " + s : "")}");
        foreach (var (old, now) in diff.Compatible)
            console.MarkupLine($"[green]changed compatibly[/]: {Markup.Escape(now.Describe())}: {Markup.Escape(old.Shape ?? "")} -> {Markup.Escape(now.Shape ?? "")} (only optional trailing parameters differ)");
        foreach (var (old, now) in diff.Renamed)
            console.MarkupLine($"[yellow]alias changed[/]: {Markup.Escape(old.Describe())} is now '{Markup.Escape(now.Alias ?? "")}' (typed peers match by ID; untyped callers use the new name)");
        console.WriteLine(diff.Breaking.Count > 0
            ? $"{diff.Breaking.Count} breaking change(s): peers built against OLD will fail against NEW."
            : "No breaking changes.");
    }

    /// <summary>
    /// {"breaking":[{"rule","change","key","alias","old","new"}],"added":[{"key","alias","shape"}],"renamed":[{"key","old","new"}],
    /// "compatible":[{"key","alias","old","new"}]}.
    /// </summary>
    private static string ToJson(ContractDiff.Result diff) => JsonOut.Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("breaking");
        foreach (var b in diff.Breaking)
        {
            w.WriteStartObject();
            w.WriteString("rule", b.DiagnosticId);
            w.WriteString("change", Change(b.Rule));
            w.WriteString("key", (b.Current ?? b.Recorded).Key.ToString());
            w.WriteString("alias", (b.Current ?? b.Recorded).Alias);
            WriteNullable(w, "old", b.Recorded.Shape);
            WriteNullable(w, "new", b.Current?.Shape);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("added");
        foreach (var a in diff.Added)
        {
            w.WriteStartObject();
            w.WriteString("key", a.Key.ToString());
            w.WriteString("alias", a.Alias);
            WriteNullable(w, "shape", a.Shape);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("renamed");
        foreach (var (old, now) in diff.Renamed)
        {
            w.WriteStartObject();
            w.WriteString("key", now.Key.ToString());
            w.WriteString("old", old.Alias);
            w.WriteString("new", now.Alias);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("compatible");
        foreach (var (old, now) in diff.Compatible)
        {
            w.WriteStartObject();
            w.WriteString("key", now.Key.ToString());
            w.WriteString("alias", now.Alias);
            WriteNullable(w, "old", old.Shape);
            WriteNullable(w, "new", now.Shape);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }, indented: true);

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }
}
