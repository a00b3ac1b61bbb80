using System.Buffers;
using System.Text;
using System.Text.Json.Serialization;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// How generated dispatchers read object and array arguments (<see cref="ArgsJson.Read{T}"/>): they are parsed once by
/// System.Text.Json's own converter instead of skipped and parsed again, and anything that converter cannot read is read
/// again through <c>JsonSerializer.Deserialize</c>, so results, the reader's position after the argument and the errors
/// (with their JSON path) are those of <c>Deserialize</c>. Each case runs on a payload in one piece (the reader's span
/// mode) and split into one-byte pieces (its sequence mode).
/// </summary>
public sealed class ArgsJsonObjectArgumentTests
{
    public static TheoryData<bool> Split => new() { false, true };

    [Theory]
    [MemberData(nameof(Split))]
    public void An_object_argument_is_read_and_the_next_member_follows_it(bool split)
    {
        var (totals, values, n) = Parse("""{"t":{"Sum":3,"Label":"x"},"v":[1,2,3],"n":5}""", split);

        Assert.Equal(new Totals(3, "x"), totals);
        Assert.Equal([1, 2, 3], values!);
        Assert.Equal(5, n);
    }

    [Theory]
    [MemberData(nameof(Split))]
    public void Unknown_members_inside_and_after_an_object_argument_are_skipped(bool split)
    {
        var (totals, _, n) = Parse("""{"t":{"Sum":3,"extra":{"deep":[1,{"x":2}]},"Label":"x"},"later":{"a":1},"n":7}""", split);

        Assert.Equal(new Totals(3, "x"), totals);
        Assert.Equal(7, n);
    }

    [Theory]
    [MemberData(nameof(Split))]
    public void A_null_object_argument_is_null(bool split)
    {
        var (totals, values, _) = Parse("""{"t":null,"v":null}""", split);

        Assert.Null(totals);
        Assert.Null(values);
    }

    [Theory]
    [MemberData(nameof(Split))]
    public void A_type_mismatch_inside_an_object_is_a_bad_payload_with_its_json_path(bool split)
    {
        var e = Assert.Throws<IpcProtocolException>(() => Parse("""{"t":{"Sum":"three","Label":"x"}}""", split));

        Assert.Equal(ProtocolError.BadPayload, e.Error);
        Assert.Contains("argument 't'", e.Message);
        Assert.Contains("$.Sum", e.Message); // the path Deserialize reports; the converter alone throws a bare InvalidOperationException
        Assert.IsType<System.Text.Json.JsonException>(e.InnerException);
    }

    [Theory]
    [MemberData(nameof(Split))]
    public void An_array_element_of_the_wrong_type_is_a_bad_payload(bool split)
    {
        var e = Assert.Throws<IpcProtocolException>(() => Parse("""{"v":[1,"two",3]}""", split));

        Assert.Equal(ProtocolError.BadPayload, e.Error);
        Assert.Contains("$[1]", e.Message);
    }

    [Theory]
    [MemberData(nameof(Split))]
    public void A_truncated_object_argument_is_a_bad_payload(bool split)
    {
        var e = Assert.Throws<IpcProtocolException>(() => Parse("""{"t":{"Sum":3,"Label":""", split));

        Assert.Equal(ProtocolError.BadPayload, e.Error);
    }

    [Theory]
    [MemberData(nameof(Split))]
    public void A_missing_comma_after_an_object_argument_is_a_bad_payload(bool split)
    {
        var e = Assert.Throws<IpcProtocolException>(() => Parse("""{"t":{"Sum":3,"Label":"x"} "n":5}""", split));

        Assert.Equal(ProtocolError.BadPayload, e.Error);
    }

    // What a generated Parse_ method does for (Totals t, int[] v, int n).
    private static (Totals? Totals, int[]? Values, int N) Parse(string json, bool split)
    {
        var payload = Payload(Encoding.UTF8.GetBytes(json), split);
        Totals? totals = null;
        int[]? values = null;
        var n = 0;
        var reader = ArgsJson.Begin(payload);
        while (ArgsJson.NextMember(ref reader))
        {
            if (reader.ValueTextEquals("t"u8)) totals = ArgsJson.Read(ref reader, ArgsJsonTestJson.Default.Totals, "t");
            else if (reader.ValueTextEquals("v"u8)) values = ArgsJson.Read(ref reader, ArgsJsonTestJson.Default.Int32Array, "v");
            else if (reader.ValueTextEquals("n"u8)) n = ArgsJson.Read(ref reader, ArgsJsonTestJson.Default.Int32, "n");
            else ArgsJson.Skip(ref reader);
        }
        return (totals, values, n);
    }

    private static ReadOnlySequence<byte> Payload(byte[] bytes, bool split)
    {
        if (!split || bytes.Length < 2) return new ReadOnlySequence<byte>(bytes);
        return Segments.Cut(bytes, [.. Enumerable.Range(1, bytes.Length - 1)]); // one byte per segment
    }

}

[JsonSerializable(typeof(Totals))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(int))]
internal sealed partial class ArgsJsonTestJson : JsonSerializerContext;
