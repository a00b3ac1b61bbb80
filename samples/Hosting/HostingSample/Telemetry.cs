using IpcContracts.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace HostingSample;

internal static class Telemetry
{
    /// <summary>Traces and metrics of IpcContracts (and the sample's own spans) to the console, logs on one line each.</summary>
    public static void AddSampleTelemetry(this HostApplicationBuilder builder, string serviceName)
    {
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t => t.AddSource(IpcDiagnostics.ActivitySourceName, ShopRole.Source.Name).AddConsoleExporter())
            .WithMetrics(m => m.AddMeter(IpcDiagnostics.MeterName).AddConsoleExporter());
    }
}
