using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Connections;
using IpcContracts.Serialization;
using IpcContracts.TestContracts;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// Generated payload readers (docs/serialization.md, "Generated readers"): where the runtime uses one, and that every
/// payload it reads gives what System.Text.Json gives for the same bytes: the same value, or the same error with the same
/// message. Each input is read the way the library reads a result (<c>PayloadJson</c>, which tries the generated reader
/// first) and by <see cref="JsonSerializer"/> alone (as the library read every payload before), and the two are compared.
/// </summary>
public sealed class GeneratedReaderTests
{
    private static readonly JsonSerializerOptions Options = IpcJson.CreateOptions(ReaderProbeJson.Default);

    private static JsonTypeInfo<T> Info<T>() => IpcJson.GetTypeInfo<T>(Options);

    [Fact]
    public void The_generated_reader_is_used_for_constructor_built_types_with_simple_members()
    {
        Assert.Null(GeneratedReaders<ReaderProbe>.WhyNotUsed(Info<ReaderProbe>()));
        Assert.Null(GeneratedReaders<RenamedProbe>.WhyNotUsed(Info<RenamedProbe>()));
        Assert.Null(GeneratedReaders<ImmutableProbe>.WhyNotUsed(Info<ImmutableProbe>()));
        // Its own options, with camelCase names: the names come from the metadata, so the reader still applies.
        Assert.Null(GeneratedReaders<ReaderProbe>.WhyNotUsed(CamelReaderProbeJson.Default.ReaderProbe));
    }

    [Fact]
    public void The_generated_reader_stands_aside_where_System_Text_Json_would_read_differently()
    {
        Assert.Contains("options", GeneratedReaders<ReaderProbe>.WhyNotUsed(LenientReaderProbeJson.Default.ReaderProbe));
        Assert.Contains("set outside the constructor", GeneratedReaders<ExtraSetterProbe>.WhyNotUsed(Info<ExtraSetterProbe>()));
        Assert.Equal("no generated reader is registered", GeneratedReaders<ListProbe>.WhyNotUsed(Info<ListProbe>()));
    }

    public static TheoryData<string> ProbeInputs => new()
    {
        Canonical,
        // Members in another order, with whitespace, the skipped member first or missing.
        """{ "At": "2026-12-01T08:00:00+01:00", "When": "2026-12-01T07:00:00Z", "Id": "5b7f3b9e-0000-4000-8000-000000000001", "Price": 12.50, "Small": 0.25, "Ratio": 0.5, "Flag": false, "Big": 9007199254740993, "Count": -7, "Text": "b" }""",
        """{"TextLength":99,"Text":"c","Count":1,"Big":2,"Flag":true,"Ratio":1e3,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00","At":"2026-12-01T07:00:00Z"}""",
        // A member missing (System.Text.Json passes the parameter's default), repeated (the last wins), unknown (skipped).
        """{"Text":"d","Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        """{"Text":"e","Text":"f","Count":1,"Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        """{"Text":"g","Other":{"deep":[1,2,{"x":null}]},"Count":1,"Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        // null where a string goes, escapes in names and values, a name of another case.
        """{"Text":null,"Count":1,"Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        """{"T\u0065xt":"\u00e9\n\"q\"","Count":1,"Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        """{"text":"h","Count":1,"Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        // Values of the wrong token type or out of range: System.Text.Json's errors, with their paths.
        """{"Text":"i","Count":"1","Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        """{"Text":"j","Count":2147483648,"Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        """{"Text":"k","Count":1.5,"Big":2,"Flag":1,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        """{"Text":"l","Count":1,"Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"not-a-guid","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        """{"Text":"m","Count":1,"Big":2,"Flag":true,"Ratio":1,"Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"yesterday","At":"2026-12-01T07:00:00Z"}""",
        """{"Text":"n","Count":1,"Big":2,"Flag":true,"Ratio":"NaN","Small":1,"Price":1,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00Z","At":"2026-12-01T07:00:00Z"}""",
        // Not an object, malformed, truncated, trailing bytes.
        "null",
        "[1,2]",
        "\"text\"",
        """{"Text":"o","Count":1,}""",
        """{"Text":"p","Count":1""",
        """{"Text" "q"}""",
        Canonical + " {}",
        Canonical + " // comment",
    };

    private const string Canonical =
        """{"Text":"a","Count":42,"Big":-9007199254740993,"Flag":true,"Ratio":0.1,"Small":3.5,"Price":79228162514264337593543950335,"Id":"5b7f3b9e-0000-4000-8000-000000000001","When":"2026-12-01T07:00:00.1234567Z","At":"2026-12-01T07:00:00.5-05:00","TextLength":1}""";

    [Theory]
    [MemberData(nameof(ProbeInputs))]
    public void A_probe_reads_as_System_Text_Json_reads_it(string json)
    {
        AssertSameAsSystemTextJson(json, Info<ReaderProbe>());
        AssertSameAsSystemTextJson(json, CamelReaderProbeJson.Default.ReaderProbe);
    }

    public static TheoryData<string> OtherInputs => new()
    {
        """{"label":"x","Size":3}""",
        """{"Name":"x","Size":3}""",
        """{"Size":3,"label":"y"}""",
        """{"Key":"k","Value":5}""",
        """{"Value":5}""",
        """{"Name":"s","Extra":4}""",
        """{"Name":"s","Values":[1,2,3]}""",
    };

    [Theory]
    [MemberData(nameof(OtherInputs))]
    public void Other_shapes_read_as_System_Text_Json_reads_them(string json)
    {
        AssertSameAsSystemTextJson(json, Info<RenamedProbe>());
        AssertSameAsSystemTextJson(json, Info<ImmutableProbe>());
        AssertSameAsSystemTextJson(json, Info<ExtraSetterProbe>());
        AssertSameAsSystemTextJson(json, Info<ListProbe>());
    }

    [Fact]
    public void What_the_library_writes_reads_back_through_the_generated_reader()
    {
        var probe = new ReaderProbe("\u00e9t\u00e9 \"quoted\" \u2603", int.MinValue, long.MaxValue, true, double.Epsilon, float.MaxValue,
            decimal.MinValue, Guid.NewGuid(), new DateTime(2026, 12, 1, 7, 0, 0, DateTimeKind.Utc), DateTimeOffset.Now);
        var json = JsonSerializer.Serialize(probe, Info<ReaderProbe>());

        // The reader is used for these bytes: it reads them alone, without System.Text.Json.
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        Assert.True(GeneratedReaders<ReaderProbe>.TryRead(ref reader, Info<ReaderProbe>(), out var direct));
        Assert.Equal(probe, direct);
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        Assert.False(reader.Read());

        Assert.Equal(probe, PayloadJson.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), Info<ReaderProbe>(), "probe"));
    }

    [Fact]
    public void A_payload_split_across_segments_reads_the_same()
    {
        var bytes = Encoding.UTF8.GetBytes(Canonical);
        var split = Support.Segments.Cut(bytes, [.. Enumerable.Range(1, bytes.Length - 1)]);

        Assert.Equal(JsonSerializer.Deserialize(Canonical, Info<ReaderProbe>()), PayloadJson.Read(split, Info<ReaderProbe>(), "probe"));
    }

    private static void AssertSameAsSystemTextJson<T>(string json, JsonTypeInfo<T> typeInfo)
    {
        T? expected = default;
        JsonException? expectedError = null;
        try
        {
            // What reading a payload was before generated readers: Deserialize over the whole payload, then one more
            // Read, which throws for anything after the value but whitespace (docs/protocol.md, section 5).
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            expected = JsonSerializer.Deserialize(ref reader, typeInfo);
            Assert.False(reader.Read());
        }
        catch (JsonException e)
        {
            expectedError = e;
        }

        T? actual = default;
        JsonException? actualError = null;
        try
        {
            actual = PayloadJson.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), typeInfo, "probe");
        }
        catch (IpcProtocolException e)
        {
            actualError = Assert.IsType<JsonException>(e.InnerException, exactMatch: false);
        }

        if (expectedError is null)
        {
            Assert.Null(actualError);
            Assert.Equal(expected, actual);
        }
        else
        {
            Assert.NotNull(actualError);
            Assert.Equal(expectedError.Message, actualError.Message);
        }
    }
}
