// This suite runs on Linux (it checks socket files, /dev/shm segments, SO_PEERCRED and futex behaviour). Windows is
// tested by its own project under Wine. Saying so lets tests reach the Linux implementations of the platform seams
// (UnixSocketPipes, LinuxShm) without a guard at every call (CA1416).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
