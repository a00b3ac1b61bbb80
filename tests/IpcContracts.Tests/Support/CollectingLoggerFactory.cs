using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace IpcContracts.Tests.Support;

/// <summary>An ILoggerFactory that keeps every entry (event ID, level, message, exception) for assertions.</summary>
internal sealed class CollectingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(EventId Id, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Logger(CollectingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((eventId, logLevel, formatter(state, exception), exception));
    }
}
