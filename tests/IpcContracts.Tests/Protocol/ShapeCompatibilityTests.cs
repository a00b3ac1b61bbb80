using IpcContracts.Connections;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// The shape check of docs/protocol.md 4.2: two signatures whose fingerprints differ are still compatible when they
/// differ only by optional trailing parameters (docs/versioning.md); every other difference stays a mismatch.
/// Cross-process, with two separately built contract versions: tests/IpcContracts.Tests/CrossProcess/VersioningTests.cs.
/// </summary>
public sealed class ShapeCompatibilityTests
{
    [Theory]
    [InlineData("R:string(string name)", "R:string(string name,string greeting=)")]
    [InlineData("R:string(string name)", "R:string(string name,string greeting=,int times=)")]
    [InlineData("R:string(string name,string greeting=)", "R:string(string name,string greeting=,int times=)")]
    [InlineData("R:void()", "R:void(int limit=)")]
    [InlineData("E:void(Shop.Changed e)", "E:void(Shop.Changed e,int revision=)")]
    // Optional on one side and required on the other: a side that has the parameter always sends it.
    [InlineData("R:int(string sku,int limit)", "R:int(string sku,int limit=)")]
    // Brackets in types: commas of generics, tuples and multi-dimensional arrays are not parameter separators.
    [InlineData("R:(int a, string b)(System.Collections.Generic.Dictionary<string,int> map,int[,] grid)",
                "R:(int a, string b)(System.Collections.Generic.Dictionary<string,int> map,int[,] grid,(int x, int y) at=)")]
    public void Signatures_that_differ_by_optional_trailing_parameters_are_compatible_both_ways(string older, string newer)
    {
        Assert.Null(ShapeCompatibility.Incompatibility(older, newer));
        Assert.Null(ShapeCompatibility.Incompatibility(newer, older));
    }

    [Theory]
    [InlineData("R:string(string name)", "R:long(string name)", "the result differs")]
    [InlineData("R:void(string name)", "E:void(string name)", "the result differs")]
    [InlineData("R:int(int factor)", "R:int(double factor)", "parameter 1 is 'int factor' here and 'double factor' there")]
    [InlineData("R:int(string sku,int limit=)", "R:int(string sku,long limit=)", "parameter 2 is 'int limit' here and 'long limit' there")]
    [InlineData("R:int(string sku)", "R:int(string code)", "parameter 1 is 'string sku' here and 'string code' there")]
    [InlineData("R:int(string sku,int limit)", "R:int(int limit,string sku)", "parameter 1 is 'string sku' here and 'int limit' there")]
    [InlineData("R:int(string sku)", "R:int(string sku,int limit)", "'int limit' is only there, and it is not optional")]
    [InlineData("R:int(string sku,int limit)", "R:int(string sku)", "'int limit' is only here, and it is not optional")]
    [InlineData("R:int(string sku,System.IProgress<int> progress)", "R:int(string sku)", "'System.IProgress<int> progress' is only here, and it is not optional")]
    [InlineData("R:int(string sku)", "untyped", "the other side's signature cannot be read")]
    [InlineData("R:int(string sku", "R:int(string sku)", "this side's signature cannot be read")]
    public void Every_other_difference_is_refused_with_the_reason(string here, string there, string reason)
    {
        Assert.Equal(reason, ShapeCompatibility.Incompatibility(here, there));
    }

    [Fact]
    public void A_call_whose_peer_has_an_extra_optional_parameter_passes_the_manifest_check_and_a_required_one_does_not()
    {
        var echo = ContractRegistry.Get<ICalculator>().Methods.Single(m => m.Name == "EchoAsync");
        Assert.Equal("R:string(string text)", echo.Signature); // a method without optional parameters: the text is unmarked

        Assert.Null(PeerWith(echo, "R:string(string text,int times=)").CheckRequest(echo));
        var e = PeerWith(echo, "R:string(string text,int times)").CheckRequest(echo);
        Assert.NotNull(e);
        Assert.Equal("EchoAsync", e.Method);
        Assert.Contains("here R:string(string text), there R:string(string text,int times) ('int times' is only there, and it is not optional)", e.Message);
        // The verdict is kept per connection; asking again gives the same answer.
        Assert.Null(PeerWith(echo, "R:string(string text,int times=)").CheckRequest(echo));
    }

    [Fact]
    public void Subscribing_accepts_a_publisher_whose_event_has_an_extra_optional_parameter()
    {
        var ticks = ContractRegistry.Get<ITicks>(ContractKind.Event);
        var reset = ticks.Methods.Single(m => m.Name == "Reset");

        Assert.Null(PeerWith(reset, reset.Signature.Replace(")", ",int code=)")).CheckEventContract(ticks));
        Assert.NotNull(PeerWith(reset, reset.Signature.Replace(")", ",int code)")).CheckEventContract(ticks));
    }

    /// <summary>
    /// A sender without optional parameters sends no signature over a broker (docs/protocol.md section 9): the receiver judges
    /// its fingerprint alone. It must accept exactly what the signature rule accepts from such a sender.
    /// </summary>
    [Theory]
    [InlineData("R:string(string name,string greeting=,int times=)")]
    [InlineData("R:int(string sku,int limit=)")]
    [InlineData("R:int(string sku,int limit)")]
    [InlineData("R:void(int limit=)")]
    [InlineData("E:void(Shop.Changed e)")]
    [InlineData("R:(int a, string b)(System.Collections.Generic.Dictionary<string,int> map,(int x, int y) at=)")]
    public void A_fingerprint_without_a_signature_is_accepted_exactly_when_its_shape_without_optionals_would_be(string local)
    {
        string[] senders =
        [
            "R:string(string name)", "R:string(string name,string greeting)", "R:string(string name,string greeting,int times)",
            "R:string(string name,string greeting,int times,int more)", "R:string(string greeting)", "R:string()",
            "R:int(string sku)", "R:int(string sku,int limit)", "R:int(string sku,long limit)", "R:long(string sku)",
            "R:void()", "R:void(int limit)", "R:void(int other)", "E:void(Shop.Changed e)", "E:void()", "E:void(Shop.Changed e,int revision)",
            "R:(int a, string b)(System.Collections.Generic.Dictionary<string,int> map)",
            "R:(int a, string b)(System.Collections.Generic.Dictionary<string,int> map,(int x, int y) at)",
            "R:(int a, string b)()", local.Replace("=", ""),
        ];
        var accepted = 0;
        foreach (var sender in senders)
        {
            var expected = ShapeCompatibility.Incompatibility(local, sender) is null;
            Assert.True(expected == IpcContracts.Transports.MethodShapes.AcceptsFingerprintWithoutOptionals(local, Fnv1a.Hash64(sender)),
                $"{sender} against {local}: the signature rule says {(expected ? "compatible" : "incompatible")}");
            if (expected) accepted++;
        }
        Assert.True(accepted > 0); // at least the shape itself without its markers
        Assert.False(IpcContracts.Transports.MethodShapes.AcceptsFingerprintWithoutOptionals(local, Fnv1a.Hash64(local.Replace("=", "")) + 1));
    }

    private static PeerManifest PeerWith(MethodDescriptor method, string signature) => new(new Manifest
    {
        Protocol = 1,
        Name = "peer",
        Contracts =
        [
            new ManifestContract
            {
                Id = method.Contract.Id,
                Alias = method.Contract.Alias,
                Kind = method.Contract.Kind,
                Handled = method.Contract.Kind == ContractKind.Request,
                Methods = [new ManifestMethod { Id = method.Id, Name = method.Name, Fingerprint = Fnv1a.Hash64(signature), Signature = signature }],
            },
        ],
    });
}
