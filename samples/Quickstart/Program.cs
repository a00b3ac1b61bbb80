// IpcContracts quickstart: `dotnet run --project samples/Quickstart` starts a server process and a
// client process and prints what crosses between them. `--transport pipe` picks the transport; `--transport nats`
// runs the same contracts over a private NATS broker (nats-server on PATH).
using IpcContracts.Nats;
using Quickstart;

var options = QuickstartOptions.Parse(args);
// nats:// is a separate package: an application opts it in once.
if (options.Endpoint.StartsWith("nats://", StringComparison.OrdinalIgnoreCase)) NatsTransport.Register();
return options.Role switch
{
    "server" => await ServerRole.RunAsync(options.Endpoint),
    "client" => await ClientRole.RunAsync(options.Endpoint),
    _ => await Orchestrator.RunAsync(options),
};
