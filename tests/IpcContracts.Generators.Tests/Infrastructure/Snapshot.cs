using System.Reflection;
using System.Runtime.CompilerServices;

namespace IpcContracts.Generators.Tests.Infrastructure;

/// <summary>
/// A small stand-in for Verify (not served by the package registry here) following its convention:
/// <c>Snapshots/&lt;Test&gt;.verified.cs</c> is committed; a missing or different one writes
/// <c>&lt;Test&gt;.received.cs</c> next to it and fails. Accept by copying received over verified, or by
/// running the tests with IPC_ACCEPT_SNAPSHOTS=1.
/// </summary>
internal static class Snapshot
{
    private static readonly string Directory = Path.Combine(
        typeof(Snapshot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ProjectDirectory").Value!,
        "Snapshots");

    public static void Verify(string actual, [CallerMemberName] string testName = "")
    {
        actual = actual.Replace("\r\n", "\n");
        var verified = Path.Combine(Directory, testName + ".verified.cs");
        var received = Path.Combine(Directory, testName + ".received.cs");
        var expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;

        if (expected == actual)
        {
            File.Delete(received);
            return;
        }
        if (Environment.GetEnvironmentVariable("IPC_ACCEPT_SNAPSHOTS") == "1")
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, actual);
        Assert.Fail(
            (expected is null ? $"No snapshot for {testName} yet." : $"Generated code for {testName} differs from its snapshot.") +
            $"\n  received: {received}\n  verified: {verified}\n" +
            "Review the received file; to accept it, copy it over the verified file or rerun with IPC_ACCEPT_SNAPSHOTS=1." +
            (expected is null ? "" : "\n" + FirstDifference(expected, actual)));
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end of file>";
            var al = i < a.Length ? a[i] : "<end of file>";
            if (el != al)
                return $"First difference at line {i + 1}:\n  verified: {el}\n  received: {al}";
        }
        return "";
    }
}
