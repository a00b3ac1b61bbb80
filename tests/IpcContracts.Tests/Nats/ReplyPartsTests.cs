using System.Buffers;
using IpcContracts.Nats;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// The caller's side of "A frame in parts" (docs/protocol.md section 9): what <see cref="ReplyParts"/> takes as a part,
/// holds, completes, refuses and drops. The broker path is checked across processes in NatsCrossProcessTests.
/// </summary>
public sealed class ReplyPartsTests
{
    private static readonly byte[] Frame = WireFrame.Build(WireFrame.Response, 0, 1, 2, 7, Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray());

    private static ReplyParts.Outcome Take(ReplyParts parts, ulong id, byte[] message, long maxPayload, out byte[] whole, out int length,
        bool pending = true)
    {
        var sequence = new ReadOnlySequence<byte>(message);
        var headerRead = WireFrame.TryReadHeader(sequence, out var header);
        return parts.Take(id, sequence, pending, headerRead, header, maxPayload, out whole, out length);
    }

    [Fact]
    public void Parts_in_order_make_the_frame_again_byte_for_byte()
    {
        var parts = new ReplyParts();
        Assert.Equal(ReplyParts.Outcome.Held, Take(parts, 7, Frame[..400], 1 << 20, out _, out _));
        Assert.Equal(ReplyParts.Outcome.Held, Take(parts, 7, Frame[400..800], 1 << 20, out _, out _));
        Assert.Equal(ReplyParts.Outcome.Whole, Take(parts, 7, Frame[800..], 1 << 20, out var whole, out var length));
        Assert.Equal(Frame, whole.AsSpan(0, length).ToArray());
        ReplyParts.Return(whole);
        // Done: a whole frame that comes next is not a part of anything.
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, Frame, 1 << 20, out _, out _));
    }

    [Fact]
    public void Only_the_start_of_a_larger_Response_Error_or_StreamItem_of_that_call_starts_a_frame()
    {
        var parts = new ReplyParts();
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 8, Frame[..400], 1 << 20, out _, out _)); // another call's ID
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, Frame, 1 << 20, out _, out _)); // whole already
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, Frame[32..400], 1 << 20, out _, out _)); // no header
        var progress = WireFrame.Build(WireFrame.Progress, 0, 1, 2, 7, new byte[1000]);
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, progress[..400], 1 << 20, out _, out _)); // reports are not split
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, Frame[..400], 1 << 20, out _, out _, pending: false)); // no such call
        // None of these left anything held: the next part of a real frame starts it.
        Assert.Equal(ReplyParts.Outcome.Held, Take(parts, 7, Frame[..400], 1 << 20, out _, out _));
    }

    [Fact]
    public void A_frame_longer_than_this_side_takes_is_refused_at_its_first_part_and_its_other_parts_match_nothing()
    {
        var parts = new ReplyParts();
        Assert.Equal(ReplyParts.Outcome.TooLarge, Take(parts, 7, Frame[..400], 999, out _, out _));
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, Frame[400..800], 999, out _, out _));
    }

    [Fact]
    public void A_message_that_would_run_past_the_frame_is_not_a_part_and_ends_what_was_held()
    {
        var parts = new ReplyParts();
        Assert.Equal(ReplyParts.Outcome.Held, Take(parts, 7, Frame[..400], 1 << 20, out _, out _));
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, new byte[700], 1 << 20, out _, out _)); // 400 + 700 > 1032
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, Frame[400..], 1 << 20, out _, out _)); // nothing held any more
    }

    [Fact]
    public void What_is_held_of_a_call_that_ended_is_dropped()
    {
        var parts = new ReplyParts();
        Assert.Equal(ReplyParts.Outcome.Held, Take(parts, 7, Frame[..400], 1 << 20, out _, out _));
        parts.Drop(7); // its Cancel, or no responders
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, Frame[400..], 1 << 20, out _, out _));
        Assert.Equal(ReplyParts.Outcome.Held, Take(parts, 7, Frame[..400], 1 << 20, out _, out _));
        parts.Clear(); // the connection's end
        Assert.Equal(ReplyParts.Outcome.NotAPart, Take(parts, 7, Frame[400..], 1 << 20, out _, out _));
    }

    [Fact]
    public void A_frame_of_many_small_parts_grows_its_buffer_as_they_come_and_comes_out_whole()
    {
        var payload = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        var frame = WireFrame.Build(WireFrame.StreamItem, 0, 1, 2, 9, payload);
        var parts = new ReplyParts();
        ReplyParts.Outcome last = default;
        byte[] whole = [];
        var length = 0;
        for (var at = 0; at < frame.Length; at += 1000)
            last = Take(parts, 9, frame[at..Math.Min(frame.Length, at + 1000)], 1 << 20, out whole, out length);
        Assert.Equal(ReplyParts.Outcome.Whole, last);
        Assert.Equal(frame, whole.AsSpan(0, length).ToArray());
        ReplyParts.Return(whole);
    }
}
