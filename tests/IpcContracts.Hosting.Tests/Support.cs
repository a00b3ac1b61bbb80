using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using IpcContracts.Diagnostics;
using Microsoft.Extensions.Logging;

namespace IpcContracts.Hosting.Tests;

/// <summary>Tests that attach process-wide listeners (meters, connection counts) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry (process-wide listeners)";
}

internal static class Endpoints
{
    public static string InProc() => $"inproc://h-{Guid.NewGuid():N}";
    public static string Pipe() => $"pipe://h-{Guid.NewGuid():N}"[..24];
}

/// <summary>Records every IpcContracts span (and the test's own) that stops, started and stopped ones alike.</summary>
internal sealed class SpanRecorder : IDisposable
{
    private const string TestSourceName = "IpcContracts.Hosting.Tests";
    public static readonly ActivitySource TestSource = new(TestSourceName);
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly List<(Func<Activity, bool> Match, TaskCompletionSource<Activity> Done)> _waiters = [];

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            // By name: comparing with TestSource here could run its static initializer inside this callback.
            ShouldListenTo = s => s.Name is IpcDiagnostics.ActivitySourceName or TestSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyCollection<Activity> Stopped => _stopped;

    public IEnumerable<Activity> InTrace(ActivityTraceId trace) => _stopped.Where(a => a.TraceId == trace);

    /// <summary>Completes when a span matching <paramref name="match"/> has stopped (or already had).</summary>
    public Task<Activity> WaitFor(Func<Activity, bool> match)
    {
        lock (_waiters)
        {
            if (_stopped.FirstOrDefault(match) is { } done) return Task.FromResult(done);
            var tcs = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, tcs));
            return tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private void OnStopped(Activity activity)
    {
        lock (_waiters)
        {
            _stopped.Enqueue(activity);
            foreach (var w in _waiters.Where(w => w.Match(activity)).ToArray())
            {
                w.Done.TrySetResult(activity);
                _waiters.Remove(w);
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>Collects measurements of the IpcContracts meter.</summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measurement> _measurements = new();

    public sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
    {
        public string? Tag(string name) => Tags.GetValueOrDefault(name)?.ToString();
    }

    public MetricRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == IpcDiagnostics.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dict = new Dictionary<string, object?>();
        foreach (var t in tags) dict[t.Key] = t.Value;
        _measurements.Enqueue(new Measurement(instrument.Name, value, dict));
    }

    public IReadOnlyList<Measurement> Of(string instrument) => _measurements.Where(m => m.Instrument == instrument).ToList();

    public void Dispose() => _listener.Dispose();
}

/// <summary>An ILoggerProvider that keeps every entry (level, event ID, formatted message, exception).</summary>
internal sealed class LogRecorder : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly List<(Func<Entry, bool> Match, TaskCompletionSource<Entry> Done)> _waiters = [];

    public sealed record Entry(string Category, LogLevel Level, EventId Id, string Message, Exception? Exception);

    public IReadOnlyCollection<Entry> Entries => _entries;

    public Task<Entry> WaitFor(Func<Entry, bool> match)
    {
        lock (_waiters)
        {
            if (_entries.FirstOrDefault(match) is { } done) return Task.FromResult(done);
            var tcs = new TaskCompletionSource<Entry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, tcs));
            return tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private void Add(Entry entry)
    {
        lock (_waiters)
        {
            _entries.Enqueue(entry);
            foreach (var w in _waiters.Where(w => w.Match(entry)).ToArray())
            {
                w.Done.TrySetResult(entry);
                _waiters.Remove(w);
            }
        }
    }

    private sealed class Logger(LogRecorder owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new Entry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}

/// <summary>tests/IpcContracts.Hosting.TestHost as a real second process.</summary>
internal sealed class TraceHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TraceHostProcess(Process process) => _process = process;

    public string Endpoint { get; private set; } = "";
    public int Id => _process.Id;

    public static async Task<TraceHostProcess> StartServerAsync(string endpoint)
    {
        var path = Path.Combine(AppContext.BaseDirectory.Replace("IpcContracts.Hosting.Tests", "IpcContracts.Hosting.TestHost"), "IpcContracts.Hosting.TestHost.dll");
        if (!File.Exists(path)) throw new FileNotFoundException("Build tests/IpcContracts.Hosting.TestHost first.", path);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(path);
        info.ArgumentList.Add("server");
        info.ArgumentList.Add(endpoint);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the test host.");
        var host = new TraceHostProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            host._output.Enqueue(e.Data);
            if (e.Data.StartsWith("READY ", StringComparison.Ordinal)) host._ready.TrySetResult(e.Data["READY ".Length..]);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) host._output.Enqueue("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            host.Endpoint = await host._ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            await host.DisposeAsync();
            throw new TimeoutException("The test host did not report READY:\n" + string.Join('\n', host._output));
        }
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.StandardInput.Close(); } catch (IOException) { }
        try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20)); }
        catch (TimeoutException) { _process.Kill(entireProcessTree: true); }
        _process.Dispose();
    }
}
