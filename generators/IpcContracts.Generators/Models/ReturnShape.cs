namespace IpcContracts.Generators.Models
{
    /// <summary>What a contract method returns; decides how proxies send and dispatchers reply.</summary>
    internal enum ReturnShape
    {
        Void,
        Task,
        TaskOfT,
        ValueTask,
        ValueTaskOfT,

        /// <summary><c>IAsyncEnumerable&lt;T&gt;</c> of a request: <see cref="MethodModel.Result"/> is the item type <c>T</c>.</summary>
        Stream,
    }
}
