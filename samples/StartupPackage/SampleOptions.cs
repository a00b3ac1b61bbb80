namespace StartupPackage;

/// <summary>Command line: [--transport pipe|shm|tcp] [--megabytes N] [--role worker --endpoint URI].</summary>
internal sealed record SampleOptions(string Transport, string Endpoint, int Megabytes, string Role)
{
    public static SampleOptions Parse(string[] args)
    {
        string transport = "pipe", role = "ui";
        string? endpoint = null;
        var megabytes = 24;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--transport": transport = value; i++; break;
                case "--endpoint": endpoint = value; i++; break;
                case "--megabytes": megabytes = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); i++; break;
                case "--role": role = value; i++; break;
                default: throw new ArgumentException($"Unknown option {args[i]}. Usage: [--transport pipe|shm|tcp] [--megabytes N]");
            }
        }
        endpoint ??= transport switch
        {
            "pipe" => $"pipe://startup-{Environment.ProcessId}",
            "shm" => $"shm://startup-{Environment.ProcessId}",
            "tcp" => "tcp://127.0.0.1:0",
            _ => throw new ArgumentException($"Unknown transport '{transport}'. Use pipe, shm or tcp."),
        };
        if (megabytes is < 1 or > 1024) throw new ArgumentException("--megabytes must be 1 to 1024.");
        return new SampleOptions(transport, endpoint, megabytes, role);
    }
}
