using System.Buffers;
using IpcContracts.Transports.SharedMemory;
using ShmPair = IpcContracts.Tests.Liveness.ShmCloseTests.ShmPair;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// The shm reader's private buffer (<see cref="ShmPipeReader"/>: one array holding the unconsumed bytes, moved to the front
/// or grown as bytes arrive, not a Pipe): what a reader that consumes only part of what it was shown gets next, byte for
/// byte, while a producer thread streams more than the ring and the buffer hold; and that a grown buffer is given back.
/// </summary>
public sealed class ShmReaderBufferTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60); // a hang bound, not a timing expectation

    /// <summary>
    /// The reader consumes at most a few hundred bytes of each read and examines everything (so each read waits for new
    /// bytes), as a read loop does with a partial frame: the unconsumed rest must come back first, in order, whether the
    /// buffer moved it to the front or grew around it.
    /// </summary>
    [Fact]
    public async Task A_reader_that_consumes_part_of_each_read_gets_every_byte_in_order()
    {
        await using var pair = await ShmPair.CreateAsync();
        var producer = pair.ClientRing(0);
        var payload = Bytes(16 * ShmCloseTests.RingSize + 77, 5); // a megabyte: the ring fills many times over

        var stop = 0; // set when the test ends, so a writer still waiting for space stops before the segment is unmapped
        var writing = Task.Factory.StartNew(() =>
        {
            for (var sent = 0; sent < payload.Length; sent += 1000)
                if (!producer.Write(payload.AsSpan(sent, Math.Min(1000, payload.Length - sent)), () => Volatile.Read(ref stop) != 0)) return;
            producer.Close();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var reading = Task.Factory.StartNew(() =>
        {
            var reader = pair.Server.Input;
            var received = new List<byte>();
            var step = 0;
            while (true)
            {
                var result = reader.ReadAsync().AsTask().GetAwaiter().GetResult();
                var buffer = result.Buffer;
                // 1 to 997 bytes per read, the rest left for the next read; all of it once the stream has ended.
                var take = result.IsCompleted ? buffer.Length : Math.Min(buffer.Length, 1 + (step++ * 389) % 997);
                foreach (var segment in buffer.Slice(0, take)) received.AddRange(segment.Span);
                reader.AdvanceTo(buffer.GetPosition(take), buffer.End);
                if (result.IsCompleted) return received.ToArray();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            await writing.WaitAsync(Bound);
            Assert.Equal(payload, await reading.WaitAsync(Bound));
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            await Task.WhenAny(writing, Task.Delay(Bound));
        }
    }

    /// <summary>
    /// A frame larger than the array the reader keeps, held unconsumed until all of it is there (as the read loop holds a
    /// frame until its last byte): the array grows to hold it, and once the frame is consumed the array is given back,
    /// so a connection that once received a large frame does not keep its memory.
    /// </summary>
    [Fact]
    public async Task A_large_frame_held_whole_grows_the_buffer_and_the_buffer_shrinks_once_it_is_consumed()
    {
        await using var pair = await ShmPair.CreateAsync();
        var producer = pair.ClientRing(0);
        var frame = Bytes(2 * ShmPipeReader.KeptBuffer + 11, 9); // larger than the array the reader keeps once it is empty
        var reader = (ShmPipeReader)pair.Server.Input;

        var stop = 0;
        var writing = Task.Factory.StartNew(() => producer.Write(frame, () => Volatile.Read(ref stop) != 0),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            var (whole, end) = await Task.Factory.StartNew(() =>
            {
                while (true)
                {
                    var result = reader.ReadAsync().AsTask().GetAwaiter().GetResult();
                    if (result.Buffer.Length >= frame.Length) return (result.Buffer.ToArray(), result.Buffer.End); // still held: not advanced
                    reader.AdvanceTo(result.Buffer.Start, result.Buffer.End); // nothing consumed, everything examined
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(Bound);
            Assert.True(await writing.WaitAsync(Bound));

            Assert.Equal(frame, whole);
            Assert.True(reader.BufferCapacity >= frame.Length);
            reader.AdvanceTo(end);
            Assert.Equal(ShmPipeReader.InitialBuffer, reader.BufferCapacity);
        }
        finally
        {
            Volatile.Write(ref stop, 1); // a writer still waiting for space stops before the segment is unmapped
            await Task.WhenAny(writing, Task.Delay(Bound));
        }
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = (byte)(i * 31 + seed + i / 251);
        return bytes;
    }
}
