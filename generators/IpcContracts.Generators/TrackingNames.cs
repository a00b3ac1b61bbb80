namespace IpcContracts.Generators
{
    /// <summary>Names of the pipeline steps, so tests can check each one is cached after unrelated edits.</summary>
    public static class TrackingNames
    {
        public const string RequestContracts = nameof(RequestContracts);
        public const string EventContracts = nameof(EventContracts);
        public const string DeclaredJsonContexts = nameof(DeclaredJsonContexts);
        public const string NamedJsonContexts = nameof(NamedJsonContexts);
        public const string RuntimeReferenced = nameof(RuntimeReferenced);
        public const string AssemblyModel = nameof(AssemblyModel);

        /// <summary>Every name above, for tests that inspect all steps.</summary>
        public static readonly string[] All =
        {
            RequestContracts, EventContracts, DeclaredJsonContexts, NamedJsonContexts, RuntimeReferenced, AssemblyModel,
        };
    }
}
