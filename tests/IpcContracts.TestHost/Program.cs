// A second process for cross-process tests. "server ENDPOINT" serves ICalculator until stdin closes;
// "client ENDPOINT SCENARIO" runs one scenario against a server and prints OK/FAIL lines.
using IpcContracts;
using IpcContracts.TestContracts;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: server ENDPOINT | client ENDPOINT SCENARIO");
    return 2;
}

var endpoint = args[1];
switch (args[0])
{
    case "server":
    {
        IpcServer? server = null;
        server = await IpcServer.StartAsync(endpoint, b => b
            .Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>()))
            .HandleRaw("tools.echo", "Echo", call => ValueTask.FromResult<string?>(call.ArgumentsJson)));
        Console.WriteLine($"READY {server.Endpoint}");
        // Runs until the test closes our stdin (or kills us).
        while (Console.ReadLine() is { } line && line != "quit") { }
        await server.DisposeAsync();
        return 0;
    }
    case "client":
        return await ClientScenarios.RunAsync(endpoint, args.Length > 2 ? args[2] : "basic");
    default:
        Console.Error.WriteLine($"unknown role {args[0]}");
        return 2;
}
