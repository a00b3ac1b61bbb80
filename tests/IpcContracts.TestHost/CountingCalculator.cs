using IpcContracts.TestContracts;

/// <summary>Counts the calls this process served, so a test can see how requests were shared between server processes.</summary>
internal sealed class CountingCalculator(ICalculator inner) : ICalculator
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    private ICalculator Count()
    {
        Interlocked.Increment(ref _calls);
        return inner;
    }

    public Task<int> GetAnswerAsync() => Count().GetAnswerAsync();
    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) => Count().AddAsync(a, b, cancellationToken);
    public Task<string> EchoAsync(string text) => Count().EchoAsync(text);
    public ValueTask<Totals> SumAsync(int[] values, string label, bool negate, CancellationToken cancellationToken = default) =>
        Count().SumAsync(values, label, negate, cancellationToken);
    public Task NoResultAsync(string note) => Count().NoResultAsync(note);
    public ValueTask<int> IncrementAsync(int value) => Count().IncrementAsync(value);
    public Task<byte[]> EchoBytesAsync(byte[] data) => Count().EchoBytesAsync(data);
    public Task<int> SizeOfAsync(byte[] data) => Count().SizeOfAsync(data);
    public Task<byte[]> MakeBytesAsync(int length, int seed) => Count().MakeBytesAsync(length, seed);
    public Task<int> WaitUntilCancelledAsync(string probe, CancellationToken cancellationToken) => Count().WaitUntilCancelledAsync(probe, cancellationToken);
    public Task<int> ThrowAsync(string message) => Count().ThrowAsync(message);
    public Task<string> CallBackAsync(string text) => Count().CallBackAsync(text);
    public Task<int> DelayAsync(int milliseconds, CancellationToken cancellationToken) => Count().DelayAsync(milliseconds, cancellationToken);
    public Task PublishTicksAsync(string source, int count) => Count().PublishTicksAsync(source, count);
}
