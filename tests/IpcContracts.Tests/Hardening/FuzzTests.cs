using System.Collections.Concurrent;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using Xunit.Abstractions;

namespace IpcContracts.Tests.Hardening;

/// <summary>
/// A seeded mutation fuzzer: valid frames are corrupted (bit flips, byte changes, insertions, deletions,
/// length and header edits, truncation) or replaced by random bytes, and fed to the header decoder and to
/// live servers. Fixed seeds in CI; `IPC_FUZZ_ITERATIONS=20000 dotnet test --filter FuzzTests` runs longer.
/// </summary>
[Collection(MeasuresMemory.Name)]
public sealed class FuzzTests(ITestOutputHelper output)
{
    private static int Iterations(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("IPC_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : ci;

    [Fact]
    public void The_header_decoder_either_accepts_or_throws_IpcProtocolException_for_any_input()
    {
        var random = new Random(20261122);
        var seeds = SeedFrames().Select(f => f[..FrameHeader.Size]).ToArray();
        for (var i = 0; i < Iterations(200_000); i++)
        {
            var bytes = i % 5 == 0 ? RandomBytes(random, random.Next(0, 40)) : Mutate(random, seeds[random.Next(seeds.Length)]);
            try
            {
                var header = FrameHeader.Read(bytes, 1 << 20);
                Assert.InRange(header.PayloadLength, 0, 1 << 20);
            }
            catch (IpcProtocolException)
            {
                // the only acceptable failure
            }
        }
    }

    [Theory]
    [InlineData("inproc", 1)]
    [InlineData("pipe", 2)]
    [InlineData("tcp", 3)]
    [InlineData("shm", 4)]
    public async Task A_live_server_survives_mutated_and_random_streams_keeps_answering_others_and_stays_bounded(string transport, int seed)
    {
        var random = new Random(seed);
        var reasons = new ConcurrentQueue<Exception>();
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator()).Handle<IStreams>(new StreamService()),
            new IpcOptions { MaxPayloadLength = 256 * 1024, HandshakeTimeout = TimeSpan.FromMilliseconds(500), SecurityEvent = _ => { } });
        server.ClientDisconnected += (_, reason) => reasons.Enqueue(reason);
        var endpoint = server.Endpoint.ToString();
        await using var bystander = await IpcClient.ConnectAsync(endpoint);
        var calc = bystander.Proxy<ICalculator>();
        GC.Collect();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var seeds = SeedFrames();

        var iterations = Iterations(40);
        for (var i = 0; i < iterations; i++)
        {
            await using (var peer = await RawPeer.ConnectAsync(endpoint))
            {
                // Most runs start with a valid Hello so the mutations reach the post-handshake paths.
                if (random.Next(4) != 0) await peer.SendAsync(seeds[0]);
                for (var f = random.Next(1, 8); f > 0; f--)
                {
                    var frame = random.Next(6) == 0 ? RandomBytes(random, random.Next(1, 200)) : Mutate(random, seeds[random.Next(seeds.Length)]);
                    try { await peer.SendAsync(frame); }
                    catch (Exception) { break; } // the server already hung up on us
                }
            }
            // Every fuzzed connection affects nobody else.
            Assert.Equal(i + 42, await calc.AddAsync(i, 42));
        }

        await Eventually.TrueAsync(() => server.Connections.Count == 1, 20_000);
        GC.Collect();
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{transport}: {iterations} fuzzed connections, managed heap {memoryBefore / 1024} KiB -> {memoryAfter / 1024} KiB");
        Assert.True(memoryAfter - memoryBefore < 64L * 1024 * 1024, $"managed heap grew by {(memoryAfter - memoryBefore) / 1024} KiB");
        // Every connection that ended did so with a typed reason.
        Assert.All(reasons, r => Assert.IsType<ChannelFaultedException>(r));
    }

    /// <summary>Valid frames of every kind, the raw material for mutations.</summary>
    private static byte[][] SeedFrames()
    {
        var calc = ContractRegistry.Get<ICalculator>();
        uint M(string name) => calc.Methods.Single(m => m.Name == name).Id;
        var streams = ContractRegistry.Get<IStreams>();
        uint S(string name) => streams.Methods.Single(m => m.Name == name).Id;
        byte[] credit = [0x00, 0x10, 0x00, 0x00]; // 4,096 bytes
        return
        [
            RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()),
            RawPeer.Frame(FrameKind.Request, calc.Id, M("AddAsync"), 1, """{"a":1,"b":2}"""),
            RawPeer.Frame(FrameKind.Request, calc.Id, M("SumAsync"), 2, """{"values":[1,2,3],"label":"x","negate":true}"""),
            RawPeer.Frame(FrameKind.Request, calc.Id, M("EchoAsync"), 3, """{"text":"hello"}"""),
            RawPeer.Frame(FrameKind.Cancel, correlation: 1),
            RawPeer.Frame(FrameKind.Ping, correlation: 4),
            RawPeer.Frame(FrameKind.Subscribe, ContractRegistry.Get<ITicks>().Id),
            RawPeer.Frame(FrameKind.Event, ContractRegistry.Get<ITicks>().Id, 1, 0, """{"tick":{"Sequence":1,"Source":"x"}}"""),
            RawPeer.Frame(FrameKind.Response, correlation: 9, json: "42"),
            RawPeer.Frame(FrameKind.Error, correlation: 9, json: """{"code":"remote","type":"X","message":"y"}"""),
            // Streams (docs/protocol.md 7.7-7.10): a stream result and its grants, an argument stream's items, end and stop,
            // a progress report, each for a call that may or may not exist by the time it arrives.
            RawPeer.Frame(FrameKind.Request, streams.Id, S("RangeAsync"), 5, """{"start":0,"count":3}"""),
            RawPeer.Frame(FrameKind.StreamCredit, streams.Id, S("RangeAsync"), 5, credit, FrameFlags.None),
            RawPeer.Frame(FrameKind.Request, streams.Id, S("SumAsync"), 6, "{}"),
            RawPeer.Frame(FrameKind.StreamItem, streams.Id, S("SumAsync"), 6, "7", FrameFlags.Upstream),
            RawPeer.Frame(FrameKind.StreamItem, streams.Id, S("SumAsync"), 6, [1, 2, 3, 4], FrameFlags.Upstream | FrameFlags.Binary),
            RawPeer.Frame(FrameKind.StreamEnd, streams.Id, S("SumAsync"), 6, flags: FrameFlags.Upstream),
            RawPeer.Frame(FrameKind.StreamEnd, streams.Id, S("SumAsync"), 6, """{"code":"remote","type":"X","message":"y"}""", FrameFlags.Upstream),
            RawPeer.Frame(FrameKind.StreamCredit, streams.Id, S("SumAsync"), 6, credit, FrameFlags.Upstream),
            RawPeer.Frame(FrameKind.Cancel, correlation: 6, flags: FrameFlags.Upstream),
            RawPeer.Frame(FrameKind.StreamItem, streams.Id, S("RangeAsync"), 9, "1", FrameFlags.None),
            RawPeer.Frame(FrameKind.Progress, streams.Id, S("RangeAsync"), 9, "1", FrameFlags.None),
            RawPeer.Frame(FrameKind.Goodbye),
        ];
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] original)
    {
        var bytes = new List<byte>(original);
        for (var n = random.Next(1, 4); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;                    // bit flip
                case 1: bytes[at] = (byte)random.Next(256); break;                           // byte change
                case 2: bytes.Insert(at, (byte)random.Next(256)); break;                      // insertion
                case 3: bytes.RemoveAt(at); break;                                           // deletion
                case 4: bytes.RemoveRange(at, bytes.Count - at); break;                       // truncation
                case 5 when bytes.Count >= 28:                                                // length field
                    var length = random.Next(3) switch { 0 => int.MaxValue, 1 => -1, _ => random.Next(0, 1 << 20) };
                    var lengthBytes = BitConverter.GetBytes(length);
                    for (var k = 0; k < 4; k++) bytes[24 + k] = lengthBytes[k];
                    break;
                default: if (bytes.Count > 3) bytes[3] = (byte)random.Next(0, 16); break;   // kind byte
            }
        }
        return [.. bytes];
    }
}
