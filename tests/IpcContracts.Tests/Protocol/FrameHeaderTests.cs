using IpcContracts.Protocol;

namespace IpcContracts.Tests.Protocol;

public sealed class FrameHeaderTests
{
    [Fact]
    public void A_header_round_trips_every_field_little_endian()
    {
        var header = new FrameHeader(FrameKind.Request, FrameFlags.Bus, 0x11223344, 0x55667788, 0x0102030405060708, 300);
        var bytes = new byte[FrameHeader.Size];

        header.Write(bytes);

        Assert.Equal(new byte[] { 0x49, 0x43, 1, 2, 1, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55,
            8, 7, 6, 5, 4, 3, 2, 1, 0x2C, 0x01, 0, 0, 0, 0, 0, 0 }, bytes);
        Assert.Equal(header, FrameHeader.Read(bytes, 1000));
    }

    [Theory]
    [InlineData(0, 0x00, ProtocolError.BadMagic)]
    [InlineData(2, 0x02, ProtocolError.UnsupportedVersion)]
    [InlineData(3, 0x00, ProtocolError.UnknownKind)]
    [InlineData(3, 0x10, ProtocolError.UnknownKind)] // 12 to 15 are StreamItem, StreamCredit, Progress and StreamEnd
    [InlineData(6, 0x01, ProtocolError.ReservedBitsSet)]
    [InlineData(4, 0x10, ProtocolError.ReservedBitsSet)] // undefined flag bit (0x0002 TraceContext, 0x0004 Upstream, 0x0008 Binary)
    [InlineData(31, 0x01, ProtocolError.ReservedBitsSet)]
    [InlineData(27, 0x80, ProtocolError.FrameTooLarge)] // length 2^31 + 4: the field is unsigned, above any limit
    public void A_corrupted_header_is_rejected_with_the_matching_error(int offset, byte value, ProtocolError expected)
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(FrameKind.Event, FrameFlags.None, 1, 2, 3, 4).Write(bytes);
        bytes[offset] = value;

        var e = Assert.Throws<IpcProtocolException>(() => FrameHeader.Read(bytes, 1000));

        Assert.Equal(expected, e.Error);
    }

    [Fact]
    public void A_wrong_version_names_both_versions()
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(FrameKind.Ping, FrameFlags.None, 0, 0, 1, 0).Write(bytes);
        bytes[2] = 9;

        var e = Assert.Throws<IpcProtocolException>(() => FrameHeader.Read(bytes, 1000));

        Assert.Contains("version 9", e.Message);
        Assert.Contains("version 1", e.Message);
    }

    [Fact]
    public void A_length_above_the_limit_is_rejected_from_the_header_alone()
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(FrameKind.Request, FrameFlags.None, 1, 2, 3, 1001).Write(bytes);

        var e = Assert.Throws<IpcProtocolException>(() => FrameHeader.Read(bytes, 1000));

        Assert.Equal(ProtocolError.FrameTooLarge, e.Error);
    }

    [Fact]
    public void A_short_header_is_truncated()
    {
        Assert.Equal(ProtocolError.Truncated, Assert.Throws<IpcProtocolException>(() => FrameHeader.Read(new byte[31], 10)).Error);
    }

    [Theory]
    [InlineData("", 0x811C9DC5u, 0xCBF29CE484222325ul)]
    [InlineData("a", 0xE40C292Cu, 0xAF63DC4C8601EC8Cul)]
    [InlineData("foobar", 0xBF9CF968u, 0x85944171F73967E8ul)]
    public void Fnv1a_matches_the_published_test_vectors(string text, uint hash32, ulong hash64)
    {
        Assert.Equal(hash32, Fnv1a.Hash32(text));
        Assert.Equal(hash64, Fnv1a.Hash64(text));
    }
}
