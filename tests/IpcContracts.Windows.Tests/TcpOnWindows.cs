namespace IpcContracts.Windows.Tests;

/// <summary>The Windows cross-process cases over tcp:// (run alone: .ci/windows-tests.sh --transport tcp).</summary>
[Trait("transport", "tcp")]
public sealed class TcpOnWindows() : WindowsCrossProcessTests("tcp");
