namespace Quickstart;

/// <summary>Command line: [--transport pipe|tcp|shm|nats] [--endpoint URI] [--role server|client].</summary>
internal sealed record QuickstartOptions(string Transport, string Endpoint, string? Role)
{
    public static QuickstartOptions Parse(string[] args)
    {
        string transport = "pipe", role = "";
        string? endpoint = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--transport": transport = value; i++; break;
                case "--endpoint": endpoint = value; i++; break;
                case "--role": role = value; i++; break;
                default: throw new ArgumentException($"Unknown option {args[i]}. Usage: [--transport pipe|tcp|shm|nats] [--endpoint URI]");
            }
        }
        endpoint ??= transport switch
        {
            "pipe" => $"pipe://quickstart-{Environment.ProcessId}",
            "shm" => $"shm://quickstart-{Environment.ProcessId}",
            "tcp" => "tcp://127.0.0.1:0",
            "nats" => "", // the orchestrator starts a private nats-server and fills this in
            _ => throw new ArgumentException($"Unknown transport '{transport}'. Use pipe, tcp, shm or nats."),
        };
        return new QuickstartOptions(transport, endpoint, role);
    }
}
