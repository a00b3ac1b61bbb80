using System.CommandLine;
using IpcContracts.Cli.Infrastructure;
using Spectre.Console;

namespace IpcContracts.Cli.Commands;

/// <summary><c>ipc list ENDPOINT</c>: the contracts and methods the peer listed in its handshake.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var endpoint = CommonOptions.Endpoint();
        var json = CommonOptions.Json("the contracts");
        var command = new Command("list", "Show the peer's contracts and methods: kinds, wire IDs and signatures.") { endpoint, json };
        command.SetAction(async (result, ct) =>
        {
            var target = result.GetValue(endpoint)!;
            await using var client = await Peer.ConnectAsync(target, CommonOptions.ConnectTimeoutOf(result), ct);
            // Sorted: the peer lists contracts in its registration order, which is not stable across builds.
            var contracts = client.Connection.PeerContracts.OrderBy(c => c.Alias, StringComparer.Ordinal).ToList();
            if (result.GetValue(json))
                Console.Out.WriteLine(ToJson(target, client.Connection.PeerName, contracts));
            else
                WriteTable(target, client.Connection.PeerName, contracts);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static IEnumerable<PeerMethod> Sorted(PeerContract contract) => contract.Methods.OrderBy(m => m.Name, StringComparer.Ordinal);

    private static string Kind(PeerContract c) => c.Kind == ContractKind.Event ? "event" : "request";

    /// <summary>{"endpoint","peer","contracts":[{"alias","id","kind","handled","methods":[{"name","id","fingerprint","signature"}]}]}.</summary>
    internal static string ToJson(string endpoint, string peer, IReadOnlyList<PeerContract> contracts) => JsonOut.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("endpoint", endpoint);
        w.WriteString("peer", peer);
        w.WriteStartArray("contracts");
        foreach (var c in contracts)
        {
            w.WriteStartObject();
            w.WriteString("alias", c.Alias);
            w.WriteString("id", JsonOut.Hex(c.Id));
            w.WriteString("kind", Kind(c));
            w.WriteBoolean("handled", c.Handled);
            w.WriteStartArray("methods");
            foreach (var m in Sorted(c))
            {
                w.WriteStartObject();
                w.WriteString("name", m.Name);
                w.WriteString("id", JsonOut.Hex(m.Id));
                w.WriteString("fingerprint", JsonOut.Hex(m.Fingerprint));
                w.WriteString("signature", m.Signature);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }, indented: true);

    private static void WriteTable(string endpoint, string peer, IReadOnlyList<PeerContract> contracts)
    {
        var console = Terminal.Create();
        console.MarkupLine($"[bold]{Markup.Escape(endpoint)}[/]: peer '{Markup.Escape(peer)}', {contracts.Count} contracts");
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("Contract", "Kind", "Handled", "Method", "Wire ID", "Signature");
        foreach (var c in contracts)
        {
            var kind = c.Kind == ContractKind.Event ? "[blue]event[/]" : "[green]request[/]";
            var handled = c.Kind == ContractKind.Request ? (c.Handled ? "yes" : "[grey]no[/]") : "";
            table.AddRow($"[bold]{Markup.Escape(c.Alias)}[/]", kind, handled, "", JsonOut.Hex(c.Id), "");
            foreach (var m in Sorted(c))
                table.AddRow("", "", "", Markup.Escape(m.Name), $"{JsonOut.Hex(c.Id)}.{JsonOut.Hex(m.Id)}", Markup.Escape(m.Signature));
        }
        console.Write(table);
    }
}
