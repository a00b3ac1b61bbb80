using IpcContracts;
using IpcContracts.TestContracts;

namespace BrokenContracts;

public static class Usage
{
    public static void Run(IpcClient client, IEventAggregator aggregator)
    {
        _ = client.Proxy<ITicks>(); // expect: IPC0020
        aggregator.Subscribe<Registered>(e => Console.WriteLine(e.Sku), weak: true); // expect: IPC0021
    }
}
