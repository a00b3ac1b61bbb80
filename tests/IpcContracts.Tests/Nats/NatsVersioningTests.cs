using IpcContracts.Tests.CrossProcess;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// The contract-evolution pair of CrossProcess/VersioningTests over a broker: the version-1 and version-2 builds of the
/// versioning host as two processes on nats://. Over a broker the receiver judges the sender's shape per message (headers
/// Ipc-Fp and Ipc-Sig, docs/protocol.md section 9) with the rule the other transports apply to the peer's manifest, so the
/// same changes are accepted and refused.
/// </summary>
public sealed class NatsVersioningTests
{
    [NatsFact]
    public async Task Over_nats_a_version_1_client_calls_a_version_2_server_whose_handler_gets_its_own_defaults()
    {
        var lines = await VersioningTests.RunAsync(server: VersioningTests.HostV2, client: VersioningTests.HostV1, NatsBroker.NewEndpoint());

        // Before the receiver applied the compatibility rule, this call was refused by the version-2 process (exact fingerprints).
        Assert.Equal("v2 hello Ada x1", lines["describe"]);
        Assert.Equal("Ada", lines["get"]);
        // The version-2 publisher's event (revision 7, an optional parameter version 1 does not have) reaches the version-1 listener.
        Assert.Equal("ok", lines["subscribe"]);
        Assert.Equal("changed Ada", lines["event"]);
        // int factor against long factor: refused before it is sent (the served manifest came over P.manifest.C), naming both.
        Assert.StartsWith("MISMATCH versioning.catalog.ScaleAsync | ", lines["scale"]);
        Assert.Contains("here R:int(int factor), there R:int(long factor) (parameter 1 is 'int factor' here and 'long factor' there)", lines["scale"]);
    }

    [NatsFact]
    public async Task Over_nats_a_version_2_client_calls_a_version_1_server_its_optional_arguments_are_ignored()
    {
        var lines = await VersioningTests.RunAsync(server: VersioningTests.HostV1, client: VersioningTests.HostV2, NatsBroker.NewEndpoint());

        Assert.Equal("v1 Ada", lines["describe"]);
        Assert.Equal("v1 Ada", lines["describe-with-options"]);
        Assert.Equal("Ada note=null", lines["get"]);
        // The version-1 publisher's event lacks "int revision = 1": the version-2 listener takes it and gets the default.
        Assert.Equal("ok", lines["subscribe"]);
        Assert.Equal("changed Ada revision 1", lines["event"]);
        Assert.StartsWith("MISMATCH versioning.catalog.RenameAsync | ", lines["rename"]);
        Assert.Contains("has no method 'RenameAsync'", lines["rename"]);
        Assert.StartsWith("MISMATCH versioning.catalog.ScaleAsync | ", lines["scale"]);
        Assert.Contains("here R:int(long factor), there R:int(int factor) (parameter 1 is 'long factor' here and 'int factor' there)", lines["scale"]);
    }
}
