using System.Text.Json.Serialization.Metadata;
using IpcContracts.Runtime;

namespace IpcContracts;

/// <summary>
/// What <see cref="IpcEndpointBuilder.Publisher{TContract}"/> publishes through: the server or client the builder was
/// used for, found when an event is published, so the publisher can be taken (and given to handlers) while configuring,
/// before that server or client exists.
/// </summary>
internal sealed class EndpointPublisher(IpcEndpointBuilder builder, string contract) : IOutboundChannel
{
    public Task<TResult> RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A publisher only sends events.");

    public Task RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A publisher only sends events.");

    public void Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs)
    {
        // Failing here, not dropping: before the endpoint exists no subscriber can be reached, so an event published now
        // is a bug in the caller's start-up order (typically publishing from the configure callback itself).
        var owner = builder.Owner ?? throw new InvalidOperationException(
            $"The {contract} publisher was taken from an IpcEndpointBuilder whose server or client does not exist yet: publish once " +
            "IpcServer.StartAsync (or IpcClient.ConnectAsync) has created it, for example from a handler, not from the configure callback.");
        owner.Publish(method, args, writeArgs);
    }
}
