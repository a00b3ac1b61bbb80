using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using IpcContracts.Connections;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.Serialization;
using IpcContracts.Tests.Support;
using IpcContracts.TestContracts;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// Which binary payloads a frame borrows from the caller and which it copies (docs/semantics.md, "The caller's buffer"),
/// and that borrowing changes no byte on the wire (docs/protocol.md 7.10).
/// </summary>
public sealed class BorrowedFrameTests
{
    private static readonly FrameHeaderTemplate Request = new(FrameKind.Request, FrameFlags.None, 7, 9, 42);

    private static void WriteArgs(Utf8JsonWriter writer, (string Label, ReadOnlySequence<byte> Data) args)
    {
        ArgsJson.Write(writer, "label", args.Label, BuiltInJson.Default.String);
        ArgsJson.WriteBinary(writer, "data", args.Data);
    }

    private static byte[] WireBytes(OutgoingFrame frame) =>
        frame.Borrowed is null ? frame.Memory.ToArray() : [.. frame.Head.Span, .. frame.Body.Span, .. frame.Trailer.Span];

    [Fact]
    public async Task A_StreamItem_that_borrows_a_chunk_has_the_same_bytes_as_one_that_copies_it_and_its_lease_waits_for_every_release()
    {
        var item = new FrameHeaderTemplate(FrameKind.StreamItem, FrameFlags.None, 7, 9, 42);
        var data = Patterns.Bytes(3 * FrameBuilder.BorrowMinimum, 5);
        var lease = new StreamChunkLease();
        Assert.True(lease.WhenReleasedAsync().IsCompleted); // nothing borrowed yet

        var buffer = ArrayPool<byte>.Shared.Rent(FrameHeader.Size + FrameBuilder.BorrowMinimum);
        data.AsSpan(0, FrameBuilder.BorrowMinimum).CopyTo(buffer.AsSpan(FrameHeader.Size));
        var copied = FrameBuilder.BinaryItem(item, buffer, FrameBuilder.BorrowMinimum);
        var first = FrameBuilder.BorrowedBinaryItem(item, data.AsMemory(0, FrameBuilder.BorrowMinimum), lease);
        var second = FrameBuilder.BorrowedBinaryItem(item, data.AsMemory(FrameBuilder.BorrowMinimum), lease);
        try
        {
            Assert.Equal(WireBytes(copied), WireBytes(first));
            Assert.Equal(0, first.Trailer.Length); // a StreamItem ends with its chunk
            Assert.True(MemoryMarshal.TryGetArray(second.Body, out var body));
            Assert.Same(data, body.Array);
            Assert.Equal(FrameBuilder.BorrowMinimum, body.Offset);
        }
        finally { copied.Release(); }

        var released = lease.WhenReleasedAsync();
        Assert.False(released.IsCompleted);
        first.Release();
        Assert.False(released.IsCompleted); // one frame still reads the array
        second.Release();
        await released.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void A_Request_that_borrows_its_large_binary_argument_has_the_same_bytes_as_one_that_copies_it()
    {
        var data = Patterns.Bytes(FrameBuilder.BorrowMinimum + 1000, 3);
        var copied = FrameBuilder.Args(Request, ("a label", new ReadOnlySequence<byte>(data)), WriteArgs, int.MaxValue);
        var borrowed = FrameBuilder.Args(Request, ("a label", new ReadOnlySequence<byte>(data)), WriteArgs, int.MaxValue, borrowBinary: true);
        try
        {
            Assert.Null(copied.Borrowed);
            Assert.NotNull(borrowed.Borrowed);
            Assert.Equal(copied.Length, borrowed.Length);
            Assert.Equal(WireBytes(copied), WireBytes(borrowed));
            // The binary section is the caller's array itself, not a copy of it.
            Assert.True(MemoryMarshal.TryGetArray(borrowed.Body, out var body));
            Assert.Same(data, body.Array);
            Assert.Throws<InvalidOperationException>(() => borrowed.Memory); // never taken whole by mistake
        }
        finally
        {
            copied.Release();
            borrowed.Release();
        }
    }

    /// <summary>
    /// Copied, so the caller may change its buffer as soon as the frame is built: an argument under the threshold, one in
    /// several segments, a frame that may not borrow (events, stream Requests), and a handler's binary result.
    /// </summary>
    [Fact]
    public void Small_and_multi_segment_arguments_events_and_results_are_copied_when_the_frame_is_built()
    {
        var small = Patterns.Bytes(FrameBuilder.BorrowMinimum - 1, 4);
        var large = Patterns.Bytes(FrameBuilder.BorrowMinimum * 3, 5);
        var frames = new List<(OutgoingFrame Frame, byte[] Caller, byte[] Wire)>();
        void Built(OutgoingFrame frame, byte[] caller) => frames.Add((frame, caller, WireBytes(frame)));

        Built(FrameBuilder.Args(Request, ("s", new ReadOnlySequence<byte>(small)), WriteArgs, int.MaxValue, borrowBinary: true), small);
        var split = (byte[])large.Clone();
        Built(FrameBuilder.Args(Request, ("m", Segments.Of(split.AsMemory(0, 100_000), split.AsMemory(100_000))), WriteArgs, int.MaxValue, borrowBinary: true), split);
        var evented = (byte[])large.Clone();
        Built(FrameBuilder.Args(Request with { Kind = FrameKind.Event }, ("e", new ReadOnlySequence<byte>(evented)), WriteArgs, int.MaxValue), evented);
        var result = (byte[])large.Clone();
        Built(FrameBuilder.Item(new FrameHeaderTemplate(FrameKind.Response, FrameFlags.None, 0, 0, 42), result, BuiltInJson.Default.ByteArray, int.MaxValue), result);
        try
        {
            foreach (var (frame, caller, wire) in frames)
            {
                Assert.Null(frame.Borrowed);
                caller.AsSpan().Fill(0xEE); // the caller reuses its buffer
                Assert.Equal(wire, WireBytes(frame));
            }
        }
        finally
        {
            foreach (var (frame, _, _) in frames) frame.Release();
        }
    }
}
