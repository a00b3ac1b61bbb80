using System.Collections;
using Microsoft.Extensions.DependencyInjection;

namespace IpcContracts;

/// <summary>
/// What <c>services.AddIpcContracts(...)</c> returns: the service collection itself (so existing call chains keep
/// working), plus a place for the IpcContracts.Hosting package to hang servers, clients and handlers
/// (<c>.AddServer(...)</c>, <c>.AddClient(...)</c>).
/// </summary>
public sealed class IpcContractsBuilder : IServiceCollection
{
    internal IpcContractsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the registrations go to.</summary>
    public IServiceCollection Services { get; }

    /// <inheritdoc />
    public ServiceDescriptor this[int index] { get => Services[index]; set => Services[index] = value; }

    /// <inheritdoc />
    public int Count => Services.Count;

    /// <inheritdoc />
    public bool IsReadOnly => Services.IsReadOnly;

    /// <inheritdoc />
    public void Add(ServiceDescriptor item) => Services.Add(item);

    /// <inheritdoc />
    public void Clear() => Services.Clear();

    /// <inheritdoc />
    public bool Contains(ServiceDescriptor item) => Services.Contains(item);

    /// <inheritdoc />
    public void CopyTo(ServiceDescriptor[] array, int arrayIndex) => Services.CopyTo(array, arrayIndex);

    /// <inheritdoc />
    public IEnumerator<ServiceDescriptor> GetEnumerator() => Services.GetEnumerator();

    /// <inheritdoc />
    public int IndexOf(ServiceDescriptor item) => Services.IndexOf(item);

    /// <inheritdoc />
    public void Insert(int index, ServiceDescriptor item) => Services.Insert(index, item);

    /// <inheritdoc />
    public bool Remove(ServiceDescriptor item) => Services.Remove(item);

    /// <inheritdoc />
    public void RemoveAt(int index) => Services.RemoveAt(index);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
