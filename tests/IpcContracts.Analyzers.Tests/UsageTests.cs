using IpcContracts.Analyzers.Tests.Infrastructure;
using static IpcContracts.Analyzers.Tests.ContractShapeTests;

namespace IpcContracts.Analyzers.Tests;

/// <summary>IPC0020 and IPC0021: calls into the runtime.</summary>
public sealed class UsageTests
{
    private const string Contracts = """
        [RequestContract] public interface IInventory { Task<int> CountAsync(); }
        [EventContract] public interface IInventoryEvents { void Changed(int count); }
        public interface IPlain { Task PingAsync(); }
        public sealed class Inventory : IInventory, IPlain { public Task<int> CountAsync() => Task.FromResult(1); public Task PingAsync() => Task.CompletedTask; }
        public sealed class Listener : IInventoryEvents { public void Changed(int count) { } }
        public sealed record Changed(int Count);
        [JsonSerializable(typeof(Changed))] internal partial class ShopJson : JsonSerializerContext;

        """;

    [Fact]
    public void IPC0020_type_arguments_that_are_not_contracts_of_the_right_kind()
    {
        AnalyzerRunner.Verify(Prelude + Contracts + """
            public static class Usage
            {
                public static async Task RunAsync(IpcClient client, IpcServer server, IpcConnection connection)
                {
                    _ = client.Proxy<{|IPC0020:IInventoryEvents|}>();
                    _ = client.Proxy<{|IPC0020:IPlain|}>();
                    _ = connection.Proxy<{|IPC0020:Inventory|}>();
                    _ = client.Publisher<{|IPC0020:IInventory|}>();
                    _ = server.Publisher<{|IPC0020:IInventory|}>();
                    _ = connection.Publisher<{|IPC0020:IPlain|}>();
                    using var a = client.{|IPC0020:Subscribe|}((IInventory)new Inventory());
                    using var b = server.Subscribe<{|IPC0020:IPlain|}>(new Inventory());
                    await using var s = await IpcServer.StartAsync("pipe://x", e => e.Handle<{|IPC0020:IInventoryEvents|}>(new Listener()).Handle<{|IPC0020:IPlain|}>(_ => new Inventory()));
                }
            }
            """);
    }

    [Fact]
    public void IPC0020_near_miss_right_kinds_and_type_parameters()
    {
        AnalyzerRunner.Verify(Prelude + Contracts + """
            public static class Usage
            {
                public static async Task RunAsync(IpcClient client, IpcServer server, IpcConnection connection)
                {
                    _ = client.Proxy<IInventory>();
                    _ = connection.Proxy<IInventory>();
                    _ = client.Publisher<IInventoryEvents>();
                    _ = server.Publisher<IInventoryEvents>();
                    using var a = client.Subscribe<IInventoryEvents>(new Listener());
                    using var b = server.Subscribe(new Listener() as IInventoryEvents);
                    await using var s = await IpcServer.StartAsync("pipe://x", e => e.Handle<IInventory>(new Inventory()));
                    _ = Forward<IInventory>(client);
                }

                private static T Forward<T>(IpcClient client) where T : class => client.Proxy<T>();
            }
            """);
    }

    [Fact]
    public void IPC0021_weak_subscriptions_of_objects_nothing_else_references()
    {
        AnalyzerRunner.Verify(Prelude + Contracts + """
            public sealed class Screen
            {
                private int _count;

                public void Attach(IEventAggregator aggregator, IpcClient client)
                {
                    aggregator.Subscribe<Changed>({|IPC0021:e => _count = e.Count|}, weak: true);
                    aggregator.Subscribe<Changed>({|IPC0021:async e => await Task.Yield()|}, true);
                    aggregator.Subscribe<Changed>({|IPC0021:delegate (Changed e) { _count++; }|}, weak: true);
                    aggregator.Subscribe<Changed>({|IPC0021:OnChanged|}, weak: true);
                    aggregator.Subscribe<Changed>({|IPC0021:Local|}, weak: true);
                    client.Subscribe<IInventoryEvents>({|IPC0021:new Listener()|}, weak: true);

                    void Local(Changed e) => _count--;
                }

                private void OnChanged(Changed e) => _count = e.Count;
            }
            """);
    }

    [Fact]
    public void IPC0021_near_miss_strong_subscriptions_and_held_references()
    {
        AnalyzerRunner.Verify(Prelude + Contracts + """
            public sealed class Screen
            {
                private readonly Action<Changed> _handler;
                private readonly Listener _listener = new();
                private int _count;

                public Screen() => _handler = e => _count = e.Count;

                public void Attach(IEventAggregator aggregator, IpcClient client)
                {
                    aggregator.Subscribe<Changed>(_handler, weak: true);
                    client.Subscribe<IInventoryEvents>(_listener, weak: true);
                    aggregator.Subscribe<Changed>(e => _count = e.Count);
                    aggregator.Subscribe<Changed>(e => _count = e.Count, weak: false);
                    client.Subscribe<IInventoryEvents>(new Listener());
                }
            }
            """);
    }
}
