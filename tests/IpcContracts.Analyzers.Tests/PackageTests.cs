using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using IpcContracts.Analyzers.Tests.Infrastructure;

namespace IpcContracts.Analyzers.Tests;

/// <summary>
/// The one IpcContracts package, used the way a user uses it: packed into a local folder feed, referenced by a fresh
/// project in a temporary directory (restored from that feed plus the normally configured sources), built and run.
/// The run proves the generator's output works end to end; a broken contract proves the analyzers came along.
/// </summary>
public sealed partial class PackageTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ipccontracts-package-" + Guid.NewGuid().ToString("N")[..12]);

    // Unique per run, so the global packages folder never serves a stale copy; removed from it again in Dispose.
    private readonly string _version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");

    public void Dispose()
    {
        TryDelete(_root);
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        TryDelete(Path.Combine(packages, "ipccontracts", _version));
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Package_brings_runtime_generator_analyzers_and_code_fixes_to_a_fresh_project()
    {
        string feed = Path.Combine(_root, "feed");
        string app = Path.Combine(_root, "app");
        Directory.CreateDirectory(app);

        // The solution build has produced every assembly already; packing only collects them.
        var pack = await DotnetAsync(TestCompilation.RepoRoot, "pack", Path.Combine(TestCompilation.RepoRoot, "src", "IpcContracts", "IpcContracts.csproj"),
            "-c", TestCompilation.Configuration, "--no-build", "--no-restore", "-o", feed, "-p:PackageVersion=" + _version);
        Assert.True(pack.ExitCode == 0, pack.Output);

        Assert.DoesNotContain("warning NU5", pack.Output);

        string nupkg = Path.Combine(feed, $"IpcContracts.{_version}.nupkg");
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            AssertMetadata(zip, "IpcContracts", _version);
            // Every diagnostic's help page ships at the path its help link names in the repository.
            foreach (var id in DocumentationTests.AllIds)
                Assert.Contains($"docs/diagnostics/{id}.md", entries);
            // ... and the page IPC0022/IPC0024 link to, at the same place relative to them.
            Assert.Contains("docs/versioning.md", entries);
            Assert.Contains("lib/net10.0/IpcContracts.dll", entries);
            Assert.Contains("analyzers/dotnet/cs/IpcContracts.Generators.dll", entries);
            // The analyzers live in the generator assembly (one rulebook, compiled once); no separate analyzer assembly.
            Assert.DoesNotContain(entries, e => e.EndsWith("IpcContracts.Analyzers.dll", StringComparison.Ordinal));
            Assert.Contains("analyzers/dotnet/cs/IpcContracts.CodeFixes.dll", entries);
            Assert.Contains("build/IpcContracts.targets", entries);
            using var nuspec = new StreamReader(zip.GetEntry("IpcContracts.nuspec")!.Open());
            var dependencies = Regex.Matches(await nuspec.ReadToEndAsync(), @"<dependency id=""([^""]+)""").Select(m => m.Groups[1].Value).ToList();
            // The runtime's own dependencies only: the generator, analyzers and Roslyn never become dependencies.
            Assert.Contains("Microsoft.Extensions.DependencyInjection.Abstractions", dependencies);
            Assert.DoesNotContain(dependencies, d => d.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) || d.StartsWith("IpcContracts", StringComparison.Ordinal));
        }

        // The local feed is added to the configured sources (no <clear/>), as a user would add a private feed.
        await File.WriteAllTextAsync(Path.Combine(_root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="ipccontracts-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="IpcContracts" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using System.Text.Json.Serialization;
            using IpcContracts;

            await using var server = await IpcServer.StartAsync("inproc://package-test", s => s.Handle<IInventory>(new Inventory()));
            await using var client = await IpcClient.ConnectAsync("inproc://package-test");
            StockLevel level = await client.Proxy<IInventory>().GetStockAsync("A-1");
            Console.WriteLine($"stock {level.Sku} {level.OnHand}");

            [RequestContract("package.inventory")]
            public interface IInventory
            {
                Task<StockLevel> GetStockAsync(string sku, CancellationToken ct = default);
            }

            public sealed record StockLevel(string Sku, int OnHand);

            public sealed class Inventory : IInventory
            {
                public Task<StockLevel> GetStockAsync(string sku, CancellationToken ct) => Task.FromResult(new StockLevel(sku, 41));
            }

            [JsonSerializable(typeof(StockLevel))]
            internal partial class AppJson : JsonSerializerContext;
            """);

        var build = await DotnetAsync(app, "build", "-c", "Debug");
        Assert.True(build.ExitCode == 0, build.Output);
        Assert.DoesNotContain(": warning IPC", build.Output);

        var run = await DotnetAsync(app, Path.Combine(app, "bin", "Debug", "net10.0", "App.dll"));
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("stock A-1 41", run.Output); // generated proxy, dispatcher, registry and JSON metadata at work

        await File.WriteAllTextAsync(Path.Combine(app, "Broken.cs"), """
            using IpcContracts;

            [RequestContract]
            public interface IBroken
            {
                int Count();
                Task<Unregistered> GetAsync();
            }

            public sealed record Unregistered(int X);
            """);

        var broken = await DotnetAsync(app, "build", "-c", "Debug", "--no-restore");
        Assert.NotEqual(0, broken.ExitCode);
        Assert.Matches(@"Broken\.cs\(6,5\): error IPC0005:", broken.Output);
        Assert.Matches(@"Broken\.cs\(7,10\): warning IPC0017:", broken.Output);
    }

    [Theory]
    [InlineData("src/IpcContracts.Hosting/IpcContracts.Hosting.csproj", "IpcContracts.Hosting")]
    [InlineData("src/IpcContracts.Nats/IpcContracts.Nats.csproj", "IpcContracts.Nats")]
    [InlineData("tools/IpcContracts.Cli/IpcContracts.Cli.csproj", "ipc")]
    public async Task The_other_packages_carry_the_same_metadata_and_their_own_readme(string project, string id)
    {
        string feed = Path.Combine(_root, "feed");
        var pack = await DotnetAsync(TestCompilation.RepoRoot, "pack", Path.Combine(TestCompilation.RepoRoot, project),
            "-c", TestCompilation.Configuration, "--no-build", "--no-restore", "-o", feed, "-p:PackageVersion=" + _version);
        Assert.True(pack.ExitCode == 0, pack.Output);
        Assert.DoesNotContain("warning NU5", pack.Output);

        using var zip = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{_version}.nupkg"));
        AssertMetadata(zip, id, _version);
    }

    [Fact]
    public void Every_help_link_is_the_repository_address_plus_the_path_of_an_existing_page()
    {
        string repository = RepositoryUrl();
        foreach (var id in DocumentationTests.AllIds)
        {
            string link = DocumentationTests.HelpLinkOf(id);
            string prefix = repository + "/blob/main/";
            Assert.StartsWith(prefix, link);
            string page = Path.Combine(TestCompilation.RepoRoot, link[prefix.Length..].Replace('/', Path.DirectorySeparatorChar));
            Assert.True(File.Exists(page), $"{id}: its help link {link} names {page}, which does not exist");
            Assert.StartsWith($"# {id}:", File.ReadAllText(page));
        }
    }

    /// <summary>The one repository address (Directory.Build.props): package project and repository URL, and help link base.</summary>
    private static string RepositoryUrl()
    {
        string props = File.ReadAllText(Path.Combine(TestCompilation.RepoRoot, "Directory.Build.props"));
        return Regex.Match(props, "<IpcRepositoryUrl>([^<]+)</IpcRepositoryUrl>").Groups[1].Value;
    }

    /// <summary>The nuspec names id, version, licence, readme and repository, and the readme and licence are in the package.</summary>
    private static void AssertMetadata(ZipArchive zip, string id, string version)
    {
        var nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        using var reader = new StreamReader(nuspecEntry.Open());
        var metadata = System.Xml.Linq.XDocument.Parse(reader.ReadToEnd()).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
        System.Xml.Linq.XElement Element(string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

        Assert.Equal(id, Value("id"));
        Assert.Equal(version, Value("version"));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("expression", Element("license").Attribute("type")?.Value);
        Assert.Equal("README.md", Value("readme"));
        Assert.Equal(RepositoryUrl(), Value("projectUrl"));
        Assert.Equal(RepositoryUrl(), Element("repository").Attribute("url")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(Value("description")));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("README.md", entries);
        Assert.Contains("LICENSE", entries);
        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.StartsWith($"# {id}", readme.ReadToEnd()); // its own README, not another package's
    }

    private static Task<(int ExitCode, string Output)> DotnetAsync(string workingDirectory, params string[] arguments) =>
        DotnetAsync(TimeSpan.FromMinutes(3), workingDirectory, arguments);

    private static async Task<(int ExitCode, string Output)> DotnetAsync(TimeSpan timeout, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        if (arguments[0] is "build" or "pack" or "publish")
        {
            start.ArgumentList.Add("--disable-build-servers");
            start.ArgumentList.Add("-nologo");
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish in {timeout.TotalMinutes} minutes");
        }
        return (process.ExitCode, $"> dotnet {string.Join(' ', arguments)}\n{await stdout}{await stderr}");
    }
}
