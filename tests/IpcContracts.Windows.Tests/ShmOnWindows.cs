namespace IpcContracts.Windows.Tests;

/// <summary>The Windows cross-process cases over shm:// (run alone: .ci/windows-tests.sh --transport shm).</summary>
[Trait("transport", "shm")]
public sealed class ShmOnWindows() : WindowsCrossProcessTests("shm");
