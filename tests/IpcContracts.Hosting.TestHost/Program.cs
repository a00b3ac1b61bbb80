// "server ENDPOINT": a Generic Host that serves ITraceProbe on ENDPOINT with IpcContracts tracing on (an
// ActivityListener records every span), prints "READY <endpoint>" and runs until stdin closes.
using System.Diagnostics;
using IpcContracts;
using IpcContracts.Diagnostics;
using IpcContracts.Hosting;
using IpcContracts.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (args is not ["server", var endpoint])
{
    Console.Error.WriteLine("usage: server ENDPOINT");
    return 2;
}

using var listener = new ActivityListener
{
    ShouldListenTo = source => source.Name == IpcDiagnostics.ActivitySourceName,
    Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
};
ActivitySource.AddActivityListener(listener);

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Services.AddIpcContracts()
    .AddServer(endpoint, server => server.Handle<ITraceProbe, TraceProbe>().AddPublisher<ITraceEvents>());
using var host = builder.Build();
await host.StartAsync();
Console.WriteLine($"READY {host.Services.GetRequiredService<IpcHostedServers>().Get().Endpoint}");
while (Console.ReadLine() is { } line && line != "quit") { }
await host.StopAsync();
return 0;
