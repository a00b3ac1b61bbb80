using System.Text.Json.Serialization;
using IpcContracts;

namespace Versioning;

// Version 2 of tests/IpcContracts.Versioning.V1/Contracts.cs: same aliases, same assembly name.

[RequestContract("versioning.catalog")]
public interface ICatalog
{
    // Safe: optional parameters added at the end. A version-1 handler ignores them; a version-1 caller does not send
    // them, and this side's handler gets its own defaults ("hello", 1).
    Task<string> DescribeAsync(string name, string greeting = "hello", int times = 1, CancellationToken ct = default);

    // Item gained a nullable member (safe: not part of any signature, and JSON skips or defaults it).
    Task<Item> GetAsync(string name);

    // Breaking, on purpose: the parameter's type changed (int -> long). Both sides refuse the call before sending it.
    Task<int> ScaleAsync(long factor);

    Task TouchAsync(string name);

    // Safe: a new method. A version-1 peer does not have it, so calling it there is a ContractMismatchException naming it.
    Task<string> RenameAsync(string from, string to);
}

[EventContract("versioning.catalog.events")]
public interface ICatalogEvents
{
    // Safe: an optional parameter added at the end of an event.
    void Changed(string name, int revision = 1);
}

public sealed record Item(string Name, string? Note = null);

[JsonSerializable(typeof(Item))]
internal sealed partial class CatalogJson : JsonSerializerContext;
