namespace IpcContracts.Benchmarks.Harness;

/// <summary>How much work one harness run does.</summary>
/// <param name="FirstCallRuns">Fresh JIT processes per path for the in-process first dispatch.</param>
/// <param name="StartupRuns">Client processes per series for "process start to first answered request".</param>
internal sealed record HarnessConfig(string Name, int RoundTrips, int RoundTripWarmup, int Events, int EventWarmup, int BulkRuns,
    int FirstCallRuns, int DispatchOps, int StartupRuns)
{
    public static readonly HarnessConfig Quick = new("--quick", 20_000, 2_000, 200_000, 20_000, 3, 5, 20_000, 10);
    public static readonly HarnessConfig Full = new("full", 200_000, 20_000, 1_000_000, 100_000, 10, 7, 100_000, 20);

    public static readonly int[] Sizes = [64, 1024];
    public const int EventSize = 64;
    public const int BulkSize = 24 * 1024 * 1024;

    /// <summary>
    /// <c>IPCBENCH_DEDICATED_READER</c> sets <see cref="IpcOptions.DedicatedReaderThread"/> on our pipe:// and tcp://
    /// connections (this process's clients and the child server, which inherits the variable), for rows that compare the
    /// settings in alternating runs: <c>1</c> true on both sides, <c>0</c> false on both, <c>client</c> or <c>server</c>
    /// true on that side and false on the other. Unset: the library's default (automatic), as a user gets it.
    /// </summary>
    public static bool? DedicatedReaderClient => Environment.GetEnvironmentVariable("IPCBENCH_DEDICATED_READER") switch
    {
        "1" or "client" => true,
        "0" or "server" => false,
        _ => null,
    };

    /// <inheritdoc cref="DedicatedReaderClient"/>
    public static bool? DedicatedReaderServer => Environment.GetEnvironmentVariable("IPCBENCH_DEDICATED_READER") switch
    {
        "1" or "server" => true,
        "0" or "client" => false,
        _ => null,
    };

    /// <summary>
    /// <c>IPCBENCH_BYTE_WINDOW=BYTES</c>: sets <see cref="StreamOptions.ByteCreditWindow"/> on the child server, the side that
    /// consumes the 24 MiB <c>Stream</c> arguments (unset: the library's default), to measure what credit grants cost a transfer.
    /// </summary>
    public static int? ByteCreditWindow => int.TryParse(Environment.GetEnvironmentVariable("IPCBENCH_BYTE_WINDOW"), out var bytes) ? bytes : null;

    /// <summary>
    /// <c>IPCBENCH_CONTINUATIONS_ON_READER=0|1</c>: sets <see cref="IpcOptions.ContinuationsOnReaderThread"/> on the harness's
    /// clients (unset: the library's default), to measure a dedicated reader that resumes callers on the thread pool.
    /// </summary>
    public static bool? ContinuationsOnReader => Environment.GetEnvironmentVariable("IPCBENCH_CONTINUATIONS_ON_READER") switch
    {
        "0" => false,
        "1" => true,
        _ => null,
    };
}

/// <summary>Everything one run measured; <see cref="Report"/> turns it into the table.</summary>
internal sealed class Results
{
    // 1. In-process dispatch: time (ns) and bytes per operation, and first call in a fresh process (µs).
    public (double Ns, double Bytes) GeneratedRequest, SeedRequest, GeneratedEvent, SeedEvent;
    public Dictionary<(string Path, string Json), List<double>> FirstCall { get; } = new()
    {
        [("generated", "cold")] = [], [("reflection", "cold")] = [], [("generated", "json-warm")] = [], [("reflection", "json-warm")] = [],
    };

    // 1. Process start to first answered request: "ours-aot" (Native AOT), "seed-jit", "ours-jit"; one entry per client process.
    public Dictionary<string, List<ClientRun>> StartToAnswer { get; } = new() { ["ours-aot"] = [], ["seed-jit"] = [], ["ours-jit"] = [] };

    /// <summary>Size of the Native AOT client binary (0 when it was not published).</summary>
    public long AotClientBytes;

    // 2. Round trips, by series name and payload size; cost per call in both processes.
    public Dictionary<(string Series, int Size), Latency> RoundTrip { get; } = [];
    public Dictionary<(string Series, int Size), Cost> RoundTripCost { get; } = [];

    // 3. One-way events per second (64 B) and cost per event.
    public Dictionary<string, double> EventsPerSecond { get; } = [];
    public Dictionary<string, Cost> EventCost { get; } = [];

    // 3b. Stream items per second (64 B, server to caller), to compare with events/s of the same transport.
    public Dictionary<string, double> StreamItemsPerSecond { get; } = [];

    // 4. 24 MiB one way: median seconds per transfer.
    public Dictionary<string, double> BulkSeconds { get; } = [];

    /// <summary>4d: each transfer's time (s) and its paired baseline's (raw stream, or memcpy for shm), per "series-shape".</summary>
    public Dictionary<string, List<(double Ours, double Baseline)>> BulkPairs { get; } = [];

    /// <summary>4e: each 24 MiB JSON transfer (s), the JSON work of the same call without a transport right after it, and the raw stream right before it, per transport (pipe, tcp).</summary>
    public Dictionary<string, List<(double Ours, double JsonOnly, double Baseline)>> BulkJsonPairs { get; } = [];

    /// <summary>4d: the receiving child's minor page faults during each of our transfers, per "series-shape" (empty where unknown).</summary>
    public Dictionary<string, List<long>> BulkFaults { get; } = [];

    /// <summary>4d/4e: this (sending) process's minor page faults during each of our transfers, keyed as <see cref="BulkFaults"/>.</summary>
    public Dictionary<string, List<long>> BulkSenderFaults { get; } = [];

    /// <summary>2b/3c: per transport ("pipe", "tcp", "shm"), each round of ours against its baseline right before it.</summary>
    public Dictionary<string, List<PairedRound>> PairedRounds { get; } = [];

    /// <summary>6b: events/s of each nats:// burst and of the raw NATS burst right before it.</summary>
    public List<(double Ours, double Baseline)> NatsEventPairs { get; } = [];

    /// <summary>6b: p50 (µs) of each nats:// round-trip batch and of the raw NATS batch right before it, per payload size.</summary>
    public Dictionary<int, List<(double Ours, double Baseline)>> NatsRoundTripPairs { get; } = [];

    /// <summary>1-minute load average of the machine before and after the run (other processes distort the figures).</summary>
    public double LoadBefore, LoadAfter;

    /// <summary><c>--load N</c>: CPU-bound spinner threads running beside the whole run (0: none).</summary>
    public int Spinners;

    // 5. Bytes a 64 B payload's objects take (a Payload and its string: the floor of "allocations beyond the payload").
    public double PayloadObjectBytes;

    public Latency Rt(string series, int size) => RoundTrip.TryGetValue((series, size), out var l) ? l : new Latency(double.NaN, double.NaN, double.NaN);
}

/// <summary>
/// One round of 2b/3c: a batch of 64 B round trips (latency and cost per round trip) and a burst of 64 B events (per
/// second), ours and the raw baseline's measured right before it, then our stream of 64 B items of the same count.
/// </summary>
internal sealed record PairedRound(Latency Ours, Latency Raw, Cost OursCost, Cost RawCost, double OursEvents, double RawEvents, double StreamItems);

/// <summary>The machine's 1-minute load average (Linux), NaN where unknown.</summary>
internal static class Load
{
    public static double Average()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ')), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            return double.NaN;
        }
    }
}
