using System.Globalization;

namespace IpcContracts.Cli.Infrastructure;

/// <summary>Durations as a person types them: <c>500ms</c>, <c>5s</c>, <c>2m</c>, or a number of seconds.</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text, string option)
    {
        var t = text.Trim();
        var (number, scale) = t.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0 || double.IsInfinity(value))
            throw new CliException(ExitCodes.Usage, $"{option} '{text}' is not a duration: use e.g. 500ms, 5s or 2m.");
        return TimeSpan.FromSeconds(value * scale);
    }
}
