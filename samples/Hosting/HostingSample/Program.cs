// IpcContracts hosting sample: `dotnet run --project samples/Hosting/HostingSample` starts two Generic Host
// processes, a warehouse (hosted IPC server) and a shop (hosted IPC client), with the OpenTelemetry console
// exporter in both. The shop's "checkout" span, its calls, the warehouse's handlers, the event the warehouse
// publishes and its receipt in the shop form one trace across the two processes.
using HostingSample;

var role = ArgValue("--role");
var endpoint = ArgValue("--endpoint") ?? "pipe://ipc-hosting-sample";
return role switch
{
    "warehouse" => await WarehouseRole.RunAsync(endpoint),
    "shop" => await ShopRole.RunAsync(endpoint),
    _ => await Orchestrator.RunAsync(endpoint),
};

string? ArgValue(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
