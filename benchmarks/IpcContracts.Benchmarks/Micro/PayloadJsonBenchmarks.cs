using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;

namespace IpcContracts.Benchmarks.Micro;

/// <summary>
/// What the per-call JSON of a 64 B payload costs, and what a reader and writer generated for the payload type could
/// save (issue #16: the shm round trip is ~3x the raw ring, and the profile puts the rest in per-call work, half of it
/// System.Text.Json). <c>Stj*</c> is the path every call takes today: the user's source-generated
/// <c>JsonSerializerContext</c> (<see cref="BenchJson"/>; <see cref="Payload"/> is a positional record, so reading goes
/// through System.Text.Json's parameterized-constructor converter). <c>Direct*</c> is hand-written code of the shape a
/// generator could emit for this one type (match the property name, read the value, call the constructor): a prototype
/// to size the gain, not a library path; it handles only this payload's exact shape, where a real one would fall back
/// to System.Text.Json for anything else.
/// </summary>
[MemoryDiagnoser]
public class PayloadJsonBenchmarks
{
    private byte[] _json = null!;
    private Payload _payload = null!;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private Utf8JsonWriter _writer = null!;
    private readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<Payload> _libraryInfo =
        Serialization.IpcJson.GetTypeInfo<Payload>(Serialization.IpcJson.CreateOptions(BenchJson.Default));

    [Params(64, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new Payload(new string('x', Size));
        _json = Encoding.UTF8.GetBytes("{\"Data\":\"" + _payload.Data + "\"}");
        _writer = new Utf8JsonWriter(_buffer);
        if (StjRead().Data != DirectRead().Data || StjRead().Data != LibraryRead().Data) throw new InvalidOperationException("The readers disagree.");
        if (Serialization.GeneratedReaders<Payload>.WhyNotUsed(_libraryInfo) is { } whyNot)
            throw new InvalidOperationException("The generated reader is not used: " + whyNot);
    }

    [Benchmark(Baseline = true)]
    public Payload StjRead()
    {
        var reader = new Utf8JsonReader(_json);
        return JsonSerializer.Deserialize(ref reader, BenchJson.Default.Payload)!;
    }

    /// <summary>What <c>ArgsJson.Read</c> does for an object argument: the type's own converter, no pre-scan of the value.</summary>
    [Benchmark]
    public Payload ConverterRead()
    {
        var reader = new Utf8JsonReader(_json);
        reader.Read();
        return ((System.Text.Json.Serialization.JsonConverter<Payload>)BenchJson.Default.Payload.Converter).Read(ref reader, typeof(Payload), BenchJson.Default.Options)!;
    }

    /// <summary>
    /// What the library does now for every payload (<c>Serialization/JsonValueReader</c>): the generated reader for
    /// <see cref="Payload"/>, checked against the metadata of options built as the generated <c>IpcJsonTypes</c> builds them.
    /// </summary>
    [Benchmark]
    public Payload LibraryRead()
    {
        var reader = new Utf8JsonReader(_json);
        reader.Read();
        return Serialization.JsonValueReader.Read(ref reader, _libraryInfo);
    }

    [Benchmark]
    public Payload DirectRead()
    {
        var reader = new Utf8JsonReader(_json);
        return ReadPayload(ref reader);
    }

    [Benchmark]
    public int StjWrite()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, _payload, BenchJson.Default.Payload);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int DirectWrite()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("Data"u8, _payload.Data);
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenCount;
    }

    private static Payload ReadPayload(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Expected an object.");
        string? data = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isData = reader.ValueTextEquals("Data"u8);
            reader.Read();
            if (isData) data = reader.GetString();
            else reader.Skip();
        }
        if (reader.TokenType != JsonTokenType.EndObject) throw new JsonException("Expected the end of the object.");
        return new Payload(data!);
    }
}
