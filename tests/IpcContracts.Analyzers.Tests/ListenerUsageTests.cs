using IpcContracts.Analyzers.Tests.Infrastructure;
using static IpcContracts.Analyzers.Tests.ContractShapeTests;

namespace IpcContracts.Analyzers.Tests;

/// <summary>
/// Listeners deriving from the generated base class (InventoryEventsListener): subscribed as the contract they are
/// fine; with the type argument inferred from the listener, IPC0020 reports it at build time instead of the registry
/// lookup failing at run time (the README relies on this).
/// </summary>
public sealed class ListenerUsageTests
{
    [Fact]
    public void IPC0020_when_Subscribe_infers_the_listener_class_instead_of_the_contract()
    {
        AnalyzerRunner.Verify(Prelude + """
            [EventContract] public interface IInventoryEvents { void Changed(int count); void Cleared(); }
            public sealed class CountListener : InventoryEventsListener { public override void Changed(int count) { } }

            public static class Usage
            {
                public static void Run(IpcClient client, IpcServer server)
                {
                    using var right = client.Subscribe<IInventoryEvents>(new CountListener());
                    using var alsoRight = server.Subscribe<IInventoryEvents>(new CountListener());
                    using var inferred = client.{|IPC0020:Subscribe|}(new CountListener());
                }
            }
            """);
    }
}
