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
    }
}
