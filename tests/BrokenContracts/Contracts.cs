// Every contract mistake the analyzers know, one or more per line marked "// expect: IPCxxxx".
using System.Text.Json.Serialization;
using IpcContracts;

[assembly: IpcJsonContext(typeof(string))] // expect: IPC0019
[assembly: IpcJsonContext(typeof(BrokenContracts.BrokenJson))]

namespace BrokenContracts;

// The compiler reports CS0592 here too, and a build with compiler errors runs no analyzers: so this case is compiled
// only by the in-process test (which defines IPC_ANALYZER_TEST), never by `dotnet build`.
#if IPC_ANALYZER_TEST
[RequestContract] // expect: IPC0001
public class NotAnInterface { }
#endif

public class Holder
{
    [RequestContract] private interface IHidden { Task PingAsync(); } // expect: IPC0002
}

[RequestContract]
public interface IGeneric<T> { Task<int> CountAsync(); } // expect: IPC0003

[RequestContract, EventContract] // expect: IPC0004
public interface IConfused { Task PingAsync(); }

[RequestContract("broken.requests")]
public interface IRequests
{
    int Count(); // expect: IPC0005
    Task Update(ref int value); // expect: IPC0007
    Task Send(Span<byte> data); // expect: IPC0008
    Task<T> Get<T>(string key); // expect: IPC0009
    int Size { get; } // expect: IPC0010
    Task<int> CountAsync(CancellationToken ct, string sku); // expect: IPC0011
    Task<int> TwoTokensAsync(CancellationToken a, CancellationToken b); // expect: IPC0012
    Task<int> Find(string sku);
    Task<int> Find(int id); // expect: IPC0013
    [ContractMethod(Id = 5)] Task A();
    [ContractMethod(Id = 5)] Task B(); // expect: IPC0014
    Task Upload(System.IO.FileStream data); // expect: IPC0027
    Task<IAsyncEnumerable<int>> WatchLater(); // expect: IPC0028
    Task Export(IProgress<int> rows, IProgress<string> stage); // expect: IPC0029
    Task Merge(IAsyncEnumerable<int> left, IAsyncEnumerable<int> right); // expect: IPC0030
    Task Compare(byte[] left, byte[] right); // expect: IPC0031
}

[EventContract("broken.events")]
public interface IEvents
{
    Task<int> Changed(string sku); // expect: IPC0006
    [ContractMethod(TimeoutMilliseconds = 1000)] void Placed(string sku); // expect: IPC0032
}

[RequestContract("broken.duplicate")]
public interface IDuplicateA { Task PingAsync(); } // expect: IPC0015, IPC0022

[RequestContract("broken.duplicate")]
public interface IDuplicateB { Task PingAsync(); } // expect: IPC0015, IPC0022

// Same alias as ICalculator in the referenced IpcContracts.TestContracts.
[RequestContract("test.calculator")]
public interface ICalculatorClash { Task PingAsync(); } // expect: IPC0016, IPC0022

[RequestContract("broken.json")]
public interface IJson // expect: IPC0022
{
    Task<Unregistered> GetAsync(string sku); // expect: IPC0017
    Task PutAsync(object value); // expect: IPC0018
}

public sealed record Registered(string Sku);
public sealed record Unregistered(string Sku);

[JsonSerializable(typeof(Registered))]
internal partial class BrokenJson : JsonSerializerContext;

// Recorded in contracts.shipped.txt with ChangedAsync returning int, a retired ReusedAsync and a RemovedAsync.
[RequestContract("broken.baseline")]
public interface IBaseline // expect: IPC0023
{
    Task<int> NewAsync(string sku); // expect: IPC0022
    Task<long> ChangedAsync(string sku); // expect: IPC0024
    Task ReusedAsync(); // expect: IPC0025
}
