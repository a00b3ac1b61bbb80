namespace IpcContracts.Benchmarks.FirstCall;

/// <summary>The server's handler: answers with the payload it got.</summary>
internal sealed class EchoService : IFirstCallEcho
{
    public Task<FirstCallPayload> EchoAsync(FirstCallPayload payload) => Task.FromResult(payload);
}

/// <summary>The server's producer in the "items" mode: the same payload <c>count</c> times.</summary>
internal sealed class ItemsService : IFirstCallItems
{
    public async IAsyncEnumerable<FirstCallPayload> ItemsAsync(int count)
    {
        var payload = new FirstCallPayload(new string('x', 64));
        for (var i = 0; i < count; i++) yield return payload;
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
