// IpcContracts quickstart: `dotnet run --project samples/Quickstart` starts a server process and a
// client process and prints what crosses between them. `--transport pipe` picks the transport.
using Quickstart;

var options = QuickstartOptions.Parse(args);
return options.Role switch
{
    "server" => await ServerRole.RunAsync(options.Endpoint),
    "client" => await ClientRole.RunAsync(options.Endpoint),
    _ => await Orchestrator.RunAsync(options),
};
