using IpcContracts.Cli.Tests.Support;

namespace IpcContracts.Cli.Tests;

public sealed class AotPublishTests
{
    [Fact]
    public async Task The_tool_publishes_as_one_native_binary_with_no_trim_or_AOT_warnings()
    {
        var published = await AotTool.GetAsync();

        Assert.True(published.ExitCode == 0, published.Log);
        Assert.Empty(published.TrimOrAotWarnings);
        Assert.True(File.Exists(published.BinaryPath));
        Assert.False(File.Exists(Path.ChangeExtension(published.BinaryPath, ".dll"))); // native, not an apphost
    }

    [Fact]
    public async Task The_native_binary_diffs_assemblies()
    {
        var published = await AotTool.GetAsync();
        Assert.True(published.ExitCode == 0, published.Log);

        var breaking = await published.Tool.RunAsync("diff", Paths.ContractsV2, Paths.ContractsV1);
        var compatible = await published.Tool.RunAsync("diff", Paths.ContractsV1, Paths.ContractsV2);

        Assert.True(breaking.ExitCode == 1, breaking.ToString());
        Assert.Contains("IPC0023 removed: method 'CountAsync'", breaking.Stdout);
        Assert.True(compatible.ExitCode == 0, compatible.ToString());
    }
}
