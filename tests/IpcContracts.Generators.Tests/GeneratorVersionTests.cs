using System.Text.RegularExpressions;
using IpcContracts.Generators.Emitting;

namespace IpcContracts.Generators.Tests;

/// <summary>Generated code's [GeneratedCode] names the version of the package that generated it, not a stale literal.</summary>
public sealed class GeneratorVersionTests
{
    [Fact]
    public void The_GeneratedCode_attribute_names_the_packages_version()
    {
        var props = FindUpwards("Directory.Build.props");
        var prefix = Regex.Match(File.ReadAllText(props), "<VersionPrefix>([^<]+)</VersionPrefix>");
        Assert.True(prefix.Success, $"no VersionPrefix in {props}");
        Assert.Equal(Code.GeneratorVersion, prefix.Groups[1].Value);
        Assert.Contains($"\"{prefix.Groups[1].Value}\"", Code.GeneratedCodeAttribute, StringComparison.Ordinal);
    }

    private static string FindUpwards(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{file} not found above {AppContext.BaseDirectory}");
    }
}
