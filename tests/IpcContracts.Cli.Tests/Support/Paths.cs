namespace IpcContracts.Cli.Tests.Support;

/// <summary>Where the built tool, test host and fixtures are: the same configuration as this test assembly.</summary>
internal static class Paths
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "IpcContracts.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
        }
    }

    /// <summary>bin/&lt;configuration&gt;/&lt;tfm&gt;/ of this test project, to find the sibling projects' outputs.</summary>
    private static string OutputSuffix
    {
        get
        {
            var mine = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
            var tfm = Path.GetFileName(mine);
            var configuration = Path.GetFileName(Path.GetDirectoryName(mine)!);
            return Path.Combine("bin", configuration, tfm);
        }
    }

    public static string Built(string projectDirectory, string file)
    {
        var path = Path.Combine(RepoRoot, projectDirectory, OutputSuffix, file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {projectDirectory} first.", path);
    }

    public static string ToolDll => Built("tools/IpcContracts.Cli", "ipc.dll");

    public static string TestHostDll => Built("tests/IpcContracts.TestHost", "IpcContracts.TestHost.dll");

    public static string ContractsV1 => Built("tests/CliDiffFixtures/ContractsV1", "ContractsV1.dll");

    public static string ContractsV2 => Built("tests/CliDiffFixtures/ContractsV2", "ContractsV2.dll");

    /// <summary>Version 1 and 2 of one contracts assembly (same file name), as the cross-process versioning tests run them.</summary>
    public static string VersioningV1 => Built("tests/IpcContracts.Versioning.V1", "IpcContracts.Versioning.Contracts.dll");

    public static string VersioningV2 => Built("tests/IpcContracts.Versioning.V2", "IpcContracts.Versioning.Contracts.dll");
}
