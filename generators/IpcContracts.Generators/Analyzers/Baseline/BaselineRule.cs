namespace IpcContracts.Analyzers.Baseline
{
    /// <summary>The wire-breaking changes a contract baseline catches; each is one diagnostic of the analyzers and one kind of <c>ipc diff</c> finding.</summary>
    internal enum BaselineRule
    {
        /// <summary>IPC0023: a shipped contract or method no longer exists and is not <c>retired</c>.</summary>
        Removed,

        /// <summary>IPC0024: a shipped method's signature, or a shipped contract's kind, changed.</summary>
        Changed,

        /// <summary>IPC0025: a contract or method uses a <c>retired</c> ID.</summary>
        RetiredIdReused,
    }
}
