using IpcContracts.Transports;
using IpcContracts.Transports.Pipe;

namespace IpcContracts.Tests.TransportOptions;

/// <summary>
/// Which Windows named pipe <c>pipe://NAME</c> is (docs/protocol.md section 8.2). The rules are plain string rules, so
/// they are checked here; the pipes themselves are tested under Wine.
/// </summary>
public sealed class WindowsPipeNameTests
{
    [Theory]
    [InlineData("inventory")]
    [InlineData("Inventory.v2 with spaces")]
    [InlineData("inventory.shm")]
    public void A_plain_name_is_the_pipe_name_verbatim(string name)
    {
        Assert.Equal(name, WindowsPipeName.Get(new IpcEndpoint("pipe", name)));
    }

    [Fact]
    public void The_longest_name_windows_accepts_is_accepted_and_one_more_character_is_refused()
    {
        var longest = new string('n', WindowsPipeName.MaxPathLength - @"\\.\pipe\".Length);
        Assert.Equal(longest, WindowsPipeName.Get(new IpcEndpoint("pipe", longest)));

        var e = Assert.Throws<IpcConfigurationException>(() => WindowsPipeName.Get(new IpcEndpoint("pipe", longest + "n")));
        Assert.Contains("at most 256 characters", e.Message);
    }

    [Theory]
    [InlineData("/run/app/inventory.sock", "'/'")]
    [InlineData("app/inventory", "'/'")]
    [InlineData(@"\\.\pipe\inventory", @"'\'")]
    [InlineData(@"a\b", @"'\'")]
    [InlineData("", "empty")]
    [InlineData(".", "'.' or '..'")]
    [InlineData("..", "'.' or '..'")]
    [InlineData("anonymous", "reserved")]
    [InlineData("a\0b", "NUL")]
    public void A_name_that_is_not_a_windows_pipe_name_is_a_configuration_error_naming_the_endpoint_and_the_reason(string name, string reason)
    {
        var e = Assert.Throws<IpcConfigurationException>(() => WindowsPipeName.Get(new IpcEndpoint("pipe", name)));

        Assert.Contains($"'pipe://{name}'", e.Message);
        Assert.Contains(reason, e.Message);
    }
}
