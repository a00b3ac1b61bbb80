namespace IpcContracts.TestContracts;

/// <summary>The IJobs implementation used in-process and by the test host process.</summary>
public sealed class JobService : IJobs
{
    public async Task<int> CountToAsync(int count, IProgress<int>? progress, CancellationToken cancellationToken = default)
    {
        for (int i = 1; i <= count; i++)
        {
            progress?.Report(i);
            if (i % 1000 == 0) await Task.Yield();
        }
        return count;
    }

    public async Task FailAfterReportAsync(string message, IProgress<string> progress)
    {
        progress.Report("started");
        await Task.Yield();
        throw new InvalidOperationException(message);
    }
}
