using System.Globalization;
using IpcContracts.Tests.Support;
using Xunit.Abstractions;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// Durable events over NATS JetStream, across real processes: tests/IpcContracts.TestHost processes publish and
/// subscribe with ITicks durable (IPC_NATS_DURABLE names the consumer); the test stops, restarts and kills them and the
/// broker.
/// </summary>
public sealed class NatsDurableEventTests(ITestOutputHelper output)
{
    [NatsFact]
    public async Task A_durable_subscriber_that_was_stopped_receives_every_event_published_meanwhile_and_nothing_twice()
    {
        var endpoint = NatsBroker.NewEndpoint();
        var durable = ("IPC_NATS_DURABLE", $"sub-{Guid.NewGuid():N}");

        var first = HostProcess.StartClient(endpoint, "durable-listen", null, durable);
        await first.WaitForLineAsync("OK subscribed");
        await PublishAsync(endpoint, 1, 500, durable);
        await Eventually.TrueAsync(() => Ticks(first).Count == 500, 30_000);
        Assert.Equal(Enumerable.Range(1, 500), Ticks(first));
        await first.DisposeAsync(); // closes stdin: a clean stop, every handled event acknowledged
        Assert.Contains("OK stopped", first.Lines);

        await PublishAsync(endpoint, 501, 1500, durable); // nobody is subscribed now: the broker keeps them

        await using var restarted = HostProcess.StartClient(endpoint, "durable-listen", null, durable);
        await restarted.WaitForLineAsync("OK subscribed");
        await Eventually.TrueAsync(() => Ticks(restarted).Count >= 1000, 30_000);
        await PublishAsync(endpoint, 1501, 1510, durable); // later events queue behind the backlog, in order
        await Eventually.TrueAsync(() => Ticks(restarted).Count >= 1010, 30_000);
        Assert.Equal(Enumerable.Range(501, 1010), Ticks(restarted));
    }

    [NatsFact]
    public async Task A_subscriber_that_is_not_durable_misses_what_was_published_while_it_was_away()
    {
        // The control for the test above: the same steps without IPC_NATS_DURABLE lose the events published meanwhile.
        var endpoint = NatsBroker.NewEndpoint();
        var first = HostProcess.StartClient(endpoint, "durable-listen");
        await first.WaitForLineAsync("OK subscribed");
        await PublishAsync(endpoint, 1, 100);
        await Eventually.TrueAsync(() => Ticks(first).Count == 100, 30_000);
        await first.DisposeAsync();

        await PublishAsync(endpoint, 101, 200);
        await using var restarted = HostProcess.StartClient(endpoint, "durable-listen");
        await restarted.WaitForLineAsync("OK subscribed");
        await PublishAsync(endpoint, 201, 210);
        await Eventually.TrueAsync(() => Ticks(restarted).Count >= 10, 30_000);

        Assert.Equal(Enumerable.Range(201, 10), Ticks(restarted));
    }

    [NatsServerFact]
    public async Task A_broker_killed_and_restarted_mid_stream_loses_no_acknowledged_event_and_duplicates_only_by_redelivery()
    {
        const int Events = 20_000;
        await using var broker = await PrivateNatsServer.StartAsync();
        var endpoint = $"{broker.Url}/t{Guid.NewGuid():N}";
        var durable = ("IPC_NATS_DURABLE", "survivor");
        var ackWait = ("IPC_NATS_ACK_WAIT_MS", "2000"); // what was delivered but not acknowledged comes back after 2 s
        await using var subscriber = HostProcess.StartClient(endpoint, "durable-listen", null, durable, ackWait);
        await subscriber.WaitForLineAsync("OK subscribed");
        await using var publisher = HostProcess.StartClient(endpoint, $"durable-publish:1:{Events}", null, durable, ackWait);
        await Eventually.TrueAsync(() => Confirmed(publisher) >= 2_000 && Ticks(subscriber).Count >= 1_000, 60_000);

        broker.Kill();
        var confirmedBeforeKill = Confirmed(publisher); // the broker acknowledged (stored) every event up to here
        await broker.RunAsync(); // same port, same store

        Assert.Equal(0, await publisher.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains($"OK published {Events}", publisher.Lines);
        await Eventually.TrueAsync(() => Ticks(subscriber).Distinct().Count() == Events, 120_000);
        var all = Ticks(subscriber);
        var firstLife = Ticks(subscriber, connection: 0); // handled from the connection the kill ended
        var secondLife = all.Count - firstLife.Count;
        var republished = Republished(publisher);

        output.WriteLine($"confirmed before the kill: {confirmedBeforeKill}; handled before the kill: {firstLife.Count}, after: {secondLife}; " +
            $"copies beyond the first: {all.Count - Events}; republished: {republished.Count}");
        Assert.True(confirmedBeforeKill >= 2_000);
        Assert.Equal(Enumerable.Range(1, Events), all.Distinct().Order()); // nothing lost (every one was confirmed in the end), nothing invented
        Assert.Equal(firstLife.Count, firstLife.Distinct().Count());     // no duplicate while nothing failed
        foreach (var group in all.GroupBy(s => s).Where(g => g.Count() > 1))
        {
            // A second copy: the broker redelivered what the subscriber had handled but whose acknowledgement the kill lost,
            // or the publisher sent it again because the broker had not confirmed it. Never more, never before the restart.
            var allowed = 1 + (firstLife.Contains(group.Key) ? 1 : 0) + (republished.Contains(group.Key) ? 1 : 0);
            Assert.True(group.Count() <= allowed, $"tick {group.Key} arrived {group.Count()} times (allowed {allowed})");
            Assert.True(group.Count() - firstLife.Count(s => s == group.Key) >= group.Count() - 1, $"tick {group.Key} was duplicated before the restart");
        }
        Assert.DoesNotContain(republished, s => s <= confirmedBeforeKill); // acknowledged events were never sent again
        Assert.True(secondLife > 0);
    }

    private static async Task PublishAsync(string endpoint, int from, int to, params (string Name, string Value)[] environment)
    {
        await using var publisher = HostProcess.StartClient(endpoint, $"durable-publish:{from}:{to}", null, environment);
        Assert.Equal(0, await publisher.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"OK published {to}", publisher.Lines);
    }

    /// <summary>The ticks a "durable-listen" host handled, in order; with <paramref name="connection"/>, only those from that connection (0 the first).</summary>
    private static List<int> Ticks(HostProcess host, int? connection = null) =>
        host.Lines.Where(l => l.StartsWith("TICK ", StringComparison.Ordinal)).Select(l => l.Split(' '))
            .Where(p => connection is null || p[2] == connection.Value.ToString(CultureInfo.InvariantCulture))
            .Select(p => int.Parse(p[1], CultureInfo.InvariantCulture)).ToList();

    private static int Confirmed(HostProcess host) =>
        host.Lines.Where(l => l.StartsWith("CONFIRMED ", StringComparison.Ordinal)).Select(l => int.Parse(l["CONFIRMED ".Length..], CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0).Max();

    private static HashSet<int> Republished(HostProcess host) =>
        host.Lines.Where(l => l.StartsWith("REPUBLISH ", StringComparison.Ordinal)).SelectMany(l =>
        {
            var range = l["REPUBLISH ".Length..].Split('-').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            return Enumerable.Range(range[0], range[1] - range[0] + 1);
        }).ToHashSet();
}
