using Spectre.Console;

namespace IpcContracts.Cli.Infrastructure;

/// <summary>
/// Where output goes and how it looks: color and live displays only when standard output is a terminal and NO_COLOR
/// (https://no-color.org) is not set; redirected output is plain text that scripts and tests can read.
/// </summary>
internal static class Terminal
{
    /// <summary>True when standard output is a terminal (not a pipe or a file).</summary>
    public static bool IsInteractive => !Console.IsOutputRedirected;

    public static bool UseColor => IsInteractive && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    /// <summary>A Spectre console over standard output with color and interactivity decided as above.</summary>
    public static IAnsiConsole Create()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = UseColor ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = UseColor ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = IsInteractive ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        // Redirected output has no width; 80 columns would wrap signatures mid-word.
        if (!IsInteractive) console.Profile.Width = 240;
        return console;
    }

    /// <summary>Writes the one-line error every failure ends in.</summary>
    public static void Error(string message)
    {
        var oneLine = message.ReplaceLineEndings(" ");
        if (!Console.IsErrorRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")))
            Console.Error.WriteLine($"\u001b[31mipc: {oneLine}\u001b[0m");
        else
            Console.Error.WriteLine($"ipc: {oneLine}");
    }
}
