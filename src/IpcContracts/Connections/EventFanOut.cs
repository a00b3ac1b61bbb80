using IpcContracts.Protocol;
using IpcContracts.Runtime;

namespace IpcContracts.Connections;

/// <summary>
/// The one event fan-out of the runtime: an event is serialized once (one producer span, one pooled buffer) and the
/// frame is shared by every connection whose peer subscribed to it. <see cref="IpcServer"/>'s publishers (and with
/// them the hosting package's DI publishers) and <see cref="EventAggregator"/> publish through it.
/// </summary>
internal static class EventFanOut
{
    /// <summary>Publishes an [EventContract] event (<paramref name="method"/> with its arguments).</summary>
    public static void Publish<TArgs>(ReadOnlySpan<IpcConnection> connections, MethodDescriptor method, TArgs args,
        ArgsWriter<TArgs> writeArgs, int maxPayloadLength)
    {
        var key = new SubscriptionKey(false, method.Contract.Id);
        var first = FirstSubscribed(connections, key);
        if (first < 0) return;
        Share(connections[first..], key, FrameBuilder.Args(
            new FrameHeaderTemplate(FrameKind.Event, FrameFlags.None, method.Contract.Id, method.Id, 0), args, writeArgs, maxPayloadLength));
    }

    /// <summary>Publishes an aggregator message (a Bus event of <paramref name="type"/>).</summary>
    public static void Publish<T>(ReadOnlySpan<IpcConnection> connections, MessageType<T> type, T message, int maxPayloadLength)
    {
        var key = new SubscriptionKey(true, type.Id);
        var first = FirstSubscribed(connections, key);
        if (first < 0) return;
        Share(connections[first..], key, FrameBuilder.Value(
            new FrameHeaderTemplate(FrameKind.Event, FrameFlags.Bus, 0, type.Id, 0), message, type.TypeInfo, maxPayloadLength));
    }

    // Nobody subscribed: nothing is serialized (and no producer span is started).
    private static int FirstSubscribed(ReadOnlySpan<IpcConnection> connections, SubscriptionKey key)
    {
        for (var i = 0; i < connections.Length; i++)
        {
            if (connections[i].PeerSubscribed(key)) return i;
        }
        return -1;
    }

    private static void Share(ReadOnlySpan<IpcConnection> connections, SubscriptionKey key, OutgoingFrame frame)
    {
        try
        {
            // SendShared skips a connection that is closed or whose peer has unsubscribed since, and takes its own
            // reference to the frame for as long as the frame waits in that connection's send queue.
            foreach (var connection in connections) connection.SendShared(frame, key);
        }
        finally
        {
            frame.Release(); // the builder's reference
        }
    }
}
