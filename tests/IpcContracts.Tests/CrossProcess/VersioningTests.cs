using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.CrossProcess;

/// <summary>
/// Contract evolution across two separately built versions of one contracts assembly (docs/versioning.md):
/// tests/IpcContracts.Versioning.V1 and .V2 have the same assembly name and aliases; version 2 adds optional trailing
/// parameters (to a request and to an event), a nullable DTO member and a method, and changes one parameter's type.
/// tests/IpcContracts.Versioning.Host is built once against each; one runs as the server, the other as the client,
/// which prints one line per call. Both ways, the safe changes work and the unsafe ones fail before anything is sent.
/// </summary>
public sealed class VersioningTests
{
    internal const string HostV1 = "IpcContracts.Versioning.Host.V1";
    internal const string HostV2 = "IpcContracts.Versioning.Host.V2";

    [Fact]
    public async Task A_version_2_client_calls_a_version_1_server_its_optional_arguments_are_ignored_and_the_new_and_changed_methods_are_refused()
    {
        var lines = await RunAsync(server: HostV1, client: HostV2);

        // DescribeAsync(name, greeting = "hello", times = 1) against DescribeAsync(name): the call goes through, and the
        // version-1 handler does what it always did, whatever the caller passed for the parameters it does not know.
        Assert.Equal("v1 Ada", lines["describe"]);
        Assert.Equal("v1 Ada", lines["describe-with-options"]);
        // Item gained "string? Note": the version-1 server does not send it, so it is null here.
        Assert.Equal("Ada note=null", lines["get"]);
        // The Changed event gained "int revision = 1": subscribing accepts the version-1 publisher, which does not send it,
        // and this listener gets its default.
        Assert.Equal("ok", lines["subscribe"]);
        Assert.Equal("changed Ada revision 1", lines["event"]);
        // A method only version 2 has: refused here, naming it.
        Assert.StartsWith("MISMATCH versioning.catalog.RenameAsync | ", lines["rename"]);
        Assert.Contains("has no method 'RenameAsync'", lines["rename"]);
        // int factor -> long factor: still a mismatch, with both shapes and the reason.
        Assert.Equal("MISMATCH versioning.catalog.ScaleAsync | Method 'ScaleAsync' of contract 'versioning.catalog' has another shape on the peer 'v1-server': " +
                     "here R:int(long factor), there R:int(int factor) (parameter 1 is 'long factor' here and 'int factor' there).", lines["scale"]);
    }

    [Fact]
    public async Task A_version_1_client_calls_a_version_2_server_whose_handler_gets_its_own_defaults_for_the_parameters_it_added()
    {
        var lines = await RunAsync(server: HostV2, client: HostV1);

        // The version-1 caller sends {"name":"Ada"}; the version-2 handler gets greeting "hello" and times 1, its declared defaults.
        Assert.Equal("v2 hello Ada x1", lines["describe"]);
        // The version-2 server sends Item.Note; version 1 skips the member it does not know.
        Assert.Equal("Ada", lines["get"]);
        // The version-2 publisher sends revision 7; the version-1 listener has no such parameter and gets the event.
        Assert.Equal("ok", lines["subscribe"]);
        Assert.Equal("changed Ada", lines["event"]);
        Assert.Equal("MISMATCH versioning.catalog.ScaleAsync | Method 'ScaleAsync' of contract 'versioning.catalog' has another shape on the peer 'v2-server': " +
                     "here R:int(int factor), there R:int(long factor) (parameter 1 is 'int factor' here and 'long factor' there).", lines["scale"]);
        Assert.False(lines.ContainsKey("rename")); // version 1 has no RenameAsync to call
    }

    /// <summary>Starts the server host, runs the client host against it to the end, and returns its lines by label.</summary>
    /// <param name="server">The host project that serves.</param>
    /// <param name="client">The host project that calls.</param>
    /// <param name="endpoint">Where the server listens; a pipe unless given (Nats/NatsVersioningTests passes a nats:// one).</param>
    internal static async Task<Dictionary<string, string>> RunAsync(string server, string client, string? endpoint = null)
    {
        await using var serverHost = await HostProcess.StartProjectAsync(server, "server", endpoint ?? Endpoints.For("pipe"));
        await using var clientHost = await HostProcess.StartProjectAsync(client, "client", serverHost.Endpoint);
        int exitCode = await clientHost.WaitForExitAsync(TimeSpan.FromSeconds(60));
        string output = string.Join("\n", clientHost.Lines);
        Assert.True(exitCode == 0 && clientHost.Lines.Contains("DONE"), $"The {client} client did not finish (exit code {exitCode}):\n{output}");
        return clientHost.Lines.Where(l => l.Contains(": ", StringComparison.Ordinal) && !l.StartsWith("stderr: ", StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(": ", StringComparison.Ordinal)], l => l[(l.IndexOf(": ", StringComparison.Ordinal) + 2)..]);
    }
}
