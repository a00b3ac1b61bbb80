using System.CommandLine;

namespace IpcContracts.Cli.Infrastructure;

/// <summary>Arguments and options several commands share, declared once so their names and help read the same everywhere.</summary>
internal static class CommonOptions
{
    public static Argument<string> Endpoint() => new("ENDPOINT")
    {
        Description = "The peer's endpoint: pipe://NAME, tcp://HOST:PORT, shm://NAME or nats://HOST:PORT[/PREFIX].",
    };

    public static readonly Option<string> ConnectTimeout = new("--connect-timeout")
    {
        Description = "How long to wait for the peer to accept and complete the handshake (e.g. 500ms, 5s).",
        DefaultValueFactory = _ => "3s",
        Recursive = true,
    };

    public static Option<bool> Json(string what) => new("--json")
    {
        Description = $"Print {what} as JSON (stable property names and order) instead of text.",
    };

    public static TimeSpan ConnectTimeoutOf(ParseResult result) =>
        Durations.Parse(result.GetValue(ConnectTimeout)!, "--connect-timeout");
}
