using IpcContracts.TestContracts;

namespace IpcContracts.Tests.Support;

/// <summary>A server with the test Calculator and one connected client, over any endpoint.</summary>
internal sealed class Pair : IAsyncDisposable
{
    private Pair(IpcServer server, IpcClient client)
    {
        Server = server;
        Client = client;
    }

    public IpcServer Server { get; }
    public IpcClient Client { get; }
    public ICalculator Calculator => Client.Proxy<ICalculator>();

    public static async Task<Pair> StartAsync(string? endpoint = null, IpcOptions? serverOptions = null, IpcOptions? clientOptions = null)
    {
        endpoint ??= Endpoints.InProc();
        IpcServer? server = null;
        server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())), serverOptions);
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), b => b.Handle<IClientCallback>(new UpperCaser()), clientOptions);
        return new Pair(server, client);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }

    internal sealed class UpperCaser : IClientCallback
    {
        public Task<string> TransformAsync(string text) => Task.FromResult(text.ToUpperInvariant());
    }
}
