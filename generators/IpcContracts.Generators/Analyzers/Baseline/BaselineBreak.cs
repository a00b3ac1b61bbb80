namespace IpcContracts.Analyzers.Baseline
{
    /// <summary>One wire-breaking change found by <see cref="BaselineRules"/>.</summary>
    internal sealed class BaselineBreak
    {
        public BaselineBreak(BaselineRule rule, BaselineEntry? current, BaselineEntry recorded)
        {
            Rule = rule;
            Current = current;
            Recorded = recorded;
        }

        public BaselineRule Rule { get; }

        /// <summary>The contract or method as it is now; null for <see cref="BaselineRule.Removed"/>.</summary>
        public BaselineEntry? Current { get; }

        /// <summary>The shipped entry that was removed or changed, or the <c>retired</c> entry whose ID is reused.</summary>
        public BaselineEntry Recorded { get; }

        /// <summary>The diagnostic ID the analyzers report this change with.</summary>
        public string DiagnosticId => Rule switch
        {
            BaselineRule.Removed => "IPC0023",
            BaselineRule.Changed => "IPC0024",
            _ => "IPC0025",
        };
    }
}
