namespace IpcContracts.Windows.Tests;

/// <summary>The Windows cross-process cases over pipe:// (run alone: .ci/windows-tests.sh --transport pipe).</summary>
[Trait("transport", "pipe")]
public sealed class PipeOnWindows() : WindowsCrossProcessTests("pipe");
