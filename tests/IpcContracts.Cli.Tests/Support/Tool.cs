using System.Diagnostics;

namespace IpcContracts.Cli.Tests.Support;

/// <summary>Runs the ipc tool as a process: the JIT build (<c>dotnet ipc.dll</c>) or the Native AOT binary.</summary>
internal sealed class Tool(string? nativeBinary)
{
    public static Tool Jit { get; } = new(null);

    public string Name => nativeBinary is null ? "jit" : "aot";

    public Process Start(string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo(nativeBinary ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (nativeBinary is null) info.ArgumentList.Add(Paths.ToolDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the tool.");
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        return process;
    }

    public Task<ToolResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs to completion, bounded: a tool that hangs is killed and fails the test.</summary>
    public async Task<ToolResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var process = Start(stdin, args);
        return await CollectAsync(process, TimeSpan.FromSeconds(60));
    }

    public static async Task<ToolResult> CollectAsync(Process process, TimeSpan timeout)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ipc did not exit within {timeout.TotalSeconds} s: {await stdout}{await stderr}");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}
