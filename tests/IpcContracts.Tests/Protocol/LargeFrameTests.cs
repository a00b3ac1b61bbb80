using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using IpcContracts.Connections;
using IpcContracts.Protocol;
using IpcContracts.TestContracts;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// A large binary frame read straight into its receiver's array (Connections/LargeFrame): the plan puts the binary
/// section into one whole array, that array is handed over once, and anything else is a copy.
/// </summary>
public sealed class LargeFrameTests
{
    private const int Size = 2 << 20;

    private static byte[] RequestFrame(byte[] json, byte[] bytes, uint? trailer = null, byte[]? between = null)
    {
        between ??= [];
        var payloadLength = json.Length + between.Length + bytes.Length + BinarySection.TrailerSize;
        var frame = new byte[FrameHeader.Size + payloadLength];
        new FrameHeader(FrameKind.Request, FrameFlags.Binary, 1, 2, 3, payloadLength).Write(frame);
        json.CopyTo(frame, FrameHeader.Size);
        between.CopyTo(frame, FrameHeader.Size + json.Length);
        bytes.CopyTo(frame, FrameHeader.Size + json.Length + between.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(frame.Length - 4), trailer ?? (uint)bytes.Length);
        return frame;
    }

    private static LargeFrame Read(byte[] frame, int arrived)
    {
        var plan = LargeFrame.TryPlan(new ReadOnlySequence<byte>(frame, 0, arrived), int.MaxValue);
        Assert.NotNull(plan);
        plan.Fill(new ReadOnlySequence<byte>(frame, FrameHeader.Size, arrived - FrameHeader.Size));
        // The rest as a transport would deliver it: straight into Remaining, in pieces.
        var offset = arrived;
        while (!plan.IsComplete)
        {
            var target = plan.Remaining;
            var n = Math.Min(Math.Min(target.Length, 100_000), frame.Length - offset);
            frame.AsSpan(offset, n).CopyTo(target.Span);
            offset += n;
            plan.Advance(n);
        }
        Assert.Equal(frame.Length, offset);
        return plan;
    }

    [Fact]
    public void A_large_binary_request_splits_into_its_argument_object_and_one_whole_array_handed_over_once()
    {
        var bytes = Patterns.Bytes(Size, 5);
        var json = Encoding.UTF8.GetBytes("""{"label":"a \"}\" b","n":[1,{"x":2}]}""");
        var plan = Read(RequestFrame(json, bytes), 300_000);

        Assert.True(BinarySection.TrySplit(FrameFlags.Binary, plan.Payload(), out var body, out var binary, out _));
        Assert.Equal(json, body.ToArray());
        LargeFrame.Offer(plan.Bytes);
        try
        {
            var taken = LargeFrame.TakeOrCopy(binary);
            Assert.Same(plan.Bytes, taken);
            Assert.Equal(bytes, taken);
            // Asked again (a second value from the same frame): a copy, never the same array twice.
            var second = LargeFrame.TakeOrCopy(binary);
            Assert.NotSame(taken, second);
            Assert.Equal(bytes, second);
        }
        finally { LargeFrame.Revoke(); }
    }

    [Fact]
    public void Bytes_that_are_not_exactly_the_offered_array_are_copied()
    {
        // Whitespace after the object (allowed: it belongs to the argument object's JSON): the trailer's split differs from
        // the plan, so the binary section spans two arrays and the receiver gets a copy of exactly the bytes it names.
        var bytes = Patterns.Bytes(Size, 6);
        var frame = RequestFrame("{}"u8.ToArray(), bytes, between: "  "u8.ToArray());
        var plan = Read(frame, 200_000);
        Assert.True(BinarySection.TrySplit(FrameFlags.Binary, plan.Payload(), out var body, out var binary, out _));
        Assert.Equal("{}  "u8.ToArray(), body.ToArray());
        LargeFrame.Offer(plan.Bytes);
        try
        {
            var value = LargeFrame.TakeOrCopy(binary);
            Assert.NotSame(plan.Bytes, value);
            Assert.Equal(bytes, value);
        }
        finally { LargeFrame.Revoke(); }
        // Nothing offered: always a copy.
        Assert.NotSame(plan.Bytes, LargeFrame.TakeOrCopy(new ReadOnlySequence<byte>(plan.Bytes)));
    }

    [Fact]
    public void Small_frames_and_frames_whose_first_sixteenth_has_not_arrived_are_left_to_the_pipe()
    {
        var frame = RequestFrame("{}"u8.ToArray(), Patterns.Bytes(Size, 7));
        // A header alone commits no memory: a sixteenth of the payload must have arrived.
        Assert.Null(LargeFrame.TryPlan(new ReadOnlySequence<byte>(frame, 0, FrameHeader.Size + 1000), int.MaxValue));
        Assert.NotNull(LargeFrame.TryPlan(new ReadOnlySequence<byte>(frame, 0, FrameHeader.Size + Size / 16 + 10), int.MaxValue));
        // Under the threshold, or complete already: the pipe's way.
        var small = RequestFrame("{}"u8.ToArray(), Patterns.Bytes(LargeFrame.Threshold / 2, 8));
        Assert.Null(LargeFrame.TryPlan(new ReadOnlySequence<byte>(small, 0, small.Length - 1), int.MaxValue));
        Assert.Null(LargeFrame.TryPlan(new ReadOnlySequence<byte>(frame), int.MaxValue));
        // An argument object that has not ended in what arrived: not planned (the usual path reads it).
        var longJson = Encoding.UTF8.GetBytes("{\"s\":\"" + new string('x', 400_000) + "\"}");
        var late = RequestFrame(longJson, Patterns.Bytes(Size, 9));
        Assert.Null(LargeFrame.TryPlan(new ReadOnlySequence<byte>(late, 0, FrameHeader.Size + 300_000), int.MaxValue));
    }
    [Theory]
    [InlineData((byte)FrameKind.Request)]
    [InlineData((byte)FrameKind.Response)]
    [InlineData((byte)FrameKind.StreamItem)]
    [InlineData((byte)FrameKind.Progress)]
    public void A_large_JSON_frame_is_read_into_one_pooled_buffer_and_parsed_in_one_piece(byte kindByte)
    {
        var kind = (FrameKind)kindByte;
        var json = Encoding.UTF8.GetBytes("{\"s\":\"" + new string('y', Size) + "\"}");
        var frame = new byte[FrameHeader.Size + json.Length];
        new FrameHeader(kind, FrameFlags.None, 1, 2, 3, json.Length).Write(frame);
        json.CopyTo(frame, FrameHeader.Size);

        var plan = Read(frame, FrameHeader.Size + json.Length / 8);

        Assert.True(plan.Scratch);
        Assert.False(plan.Pooled);
        var payload = plan.Payload();
        Assert.True(payload.IsSingleSegment); // what System.Text.Json then reads as one span
        Assert.Equal(json, payload.ToArray());
        ArrayPool<byte>.Shared.Return(plan.Bytes);
    }

    [Fact]
    public void A_large_JSON_event_and_a_JSON_frame_under_the_threshold_are_left_to_the_pipe()
    {
        foreach (var (kind, length) in new[] { (FrameKind.Event, Size), (FrameKind.Request, LargeFrame.Threshold - 1) })
        {
            var frame = new byte[FrameHeader.Size + length];
            new FrameHeader(kind, FrameFlags.None, 1, 2, 3, length).Write(frame);
            Assert.Null(LargeFrame.TryPlan(new ReadOnlySequence<byte>(frame, 0, FrameHeader.Size + length / 2), int.MaxValue));
        }
    }
}
