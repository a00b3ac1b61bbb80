using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Connections;

/// <summary>A pending call's receiver of Progress frames (the reader does not know the report type).</summary>
internal interface IProgressSink
{
    void OnProgress(in ReadOnlySequence<byte> payload);
}

/// <summary>
/// The caller's side of an IProgress parameter. The reader thread parses each report and queues it; the user's
/// <see cref="IProgress{T}.Report"/> runs off the reader thread, one report at a time and in order, so a slow or
/// blocking IProgress never stalls the connection. At most <see cref="MaxQueued"/> reports wait; beyond that the oldest
/// is dropped (progress is "latest wins"). A report may still be running when the call's task completes.
/// </summary>
internal sealed class ProgressSink<T>(IpcConnection connection, IProgress<T> progress, JsonTypeInfo<T> typeInfo, string description)
    : IProgressSink, IThreadPoolWorkItem
{
    private const int MaxQueued = 1024;
    private readonly ConcurrentQueue<T> _reports = new();
    private int _running; // 1 while a pool thread drains the queue

    public void OnProgress(in ReadOnlySequence<byte> payload)
    {
        T report;
        try
        {
            report = PayloadJson.Read(payload, typeInfo, "progress report of ", description);
        }
        catch (Exception e)
        {
            // The report is unreadable, not the call: the caller's own IProgress never sees it, and it is reported
            // where undeliverable events are.
            connection.Options.ReportEventHandlerException(e);
            return;
        }
        _reports.Enqueue(report);
        if (_reports.Count > MaxQueued) _reports.TryDequeue(out _);
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public void Execute()
    {
        while (true)
        {
            while (_reports.TryDequeue(out var report))
            {
                try
                {
                    progress.Report(report);
                }
                catch (Exception e)
                {
                    connection.Options.ReportEventHandlerException(e);
                }
            }
            Volatile.Write(ref _running, 0);
            // A report queued after the last TryDequeue but before the flag was cleared found the flag set: take it.
            if (_reports.IsEmpty || Interlocked.CompareExchange(ref _running, 1, 0) != 0) return;
        }
    }
}

/// <summary>
/// The handler's side: the IProgress&lt;T&gt; a generated dispatcher passes for the progress parameter. Each report is a
/// Progress frame; reports after the reply (or on a closed connection) are dropped.
/// </summary>
internal sealed class ProgressReporter<T>(InboundRequest request, JsonTypeInfo<T> typeInfo) : IProgress<T>
{
    public void Report(T value) => request.SendProgress(value, typeInfo);
}
