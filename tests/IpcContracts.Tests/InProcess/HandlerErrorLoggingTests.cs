using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using Microsoft.Extensions.Logging;

namespace IpcContracts.Tests.InProcess;

/// <summary>
/// How a handler's exception is logged where it ran: a domain error (one with an error code) at
/// <see cref="IpcOptions.DomainErrorLogLevel"/> without its stack, anything else at <see cref="IpcOptions.UnexpectedErrorLogLevel"/>
/// with the exception. The entry is written before the Error frame is queued, so it is there once the caller has its
/// exception: no waiting.
/// </summary>
public sealed class HandlerErrorLoggingTests
{
    private const int HandlerFailed = 10;
    private const int HandlerDomainError = 14;

    private static async Task<(IpcServer Server, IpcClient Client)> StartAsync(CollectingLoggerFactory logs, Action<IpcOptions>? configure = null)
    {
        var options = new IpcOptions { LoggerFactory = logs };
        configure?.Invoke(options);
        var endpoint = Endpoints.InProc();
        var server = await IpcServer.StartAsync(endpoint, b => b.Handle<IErrors>(new ErrorService()), options);
        return (server, await IpcClient.ConnectAsync(endpoint));
    }

    private static (EventId Id, LogLevel Level, string Message, Exception? Exception)[] HandlerEntries(CollectingLoggerFactory logs) =>
        [.. logs.Entries.Where(e => e.Id.Id is HandlerFailed or HandlerDomainError)];

    [Fact]
    public async Task By_default_a_domain_error_is_a_Warning_without_stack_and_anything_else_an_Error_with_the_exception()
    {
        var logs = new CollectingLoggerFactory();
        var (server, client) = await StartAsync(logs);
        await using var _ = server;
        await using var __ = client;
        var errors = client.Proxy<IErrors>();

        await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailCodedAsync("inventory.out_of_stock", "Only 3 left."));
        await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailDomainAsync("stock.none", "None left."));
        await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailUnexpectedAsync("a bug"));

        var entries = HandlerEntries(logs);
        Assert.Equal(3, entries.Length);
        var coded = entries[0];
        Assert.Equal(("HandlerDomainError", LogLevel.Warning), (coded.Id.Name, coded.Level));
        Assert.Null(coded.Exception); // no exception, so no logger prints a stack
        Assert.Contains("inventory.out_of_stock", coded.Message);
        Assert.Contains("IpcContracts.IpcErrorException: Only 3 left.", coded.Message);
        Assert.Contains("test.errors/FailCodedAsync", coded.Message);
        var domain = entries[1];
        Assert.Equal((HandlerDomainError, LogLevel.Warning), (domain.Id.Id, domain.Level));
        Assert.Contains("stock.none", domain.Message);
        Assert.Null(domain.Exception);
        var unexpected = entries[2];
        Assert.Equal(("HandlerFailed", LogLevel.Error), (unexpected.Id.Name, unexpected.Level));
        var exception = Assert.IsType<InvalidOperationException>(unexpected.Exception);
        Assert.Equal("a bug", exception.Message);
        Assert.NotNull(exception.StackTrace);
    }

    [Fact]
    public async Task The_levels_are_the_users_choice()
    {
        var logs = new CollectingLoggerFactory();
        var (server, client) = await StartAsync(logs, o =>
        {
            o.DomainErrorLogLevel = LogLevel.Information;
            o.UnexpectedErrorLogLevel = LogLevel.Critical;
        });
        await using var _ = server;
        await using var __ = client;
        var errors = client.Proxy<IErrors>();

        await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailCodedAsync("c", "m"));
        await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailUnexpectedAsync("m"));

        Assert.Equal([(HandlerDomainError, LogLevel.Information), (HandlerFailed, LogLevel.Critical)],
            HandlerEntries(logs).Select(e => (e.Id.Id, e.Level)));
    }

    [Fact]
    public async Task LogLevel_None_turns_each_kind_off()
    {
        var logs = new CollectingLoggerFactory();
        var (server, client) = await StartAsync(logs, o =>
        {
            o.DomainErrorLogLevel = LogLevel.None;
            o.UnexpectedErrorLogLevel = LogLevel.None;
        });
        await using var _ = server;
        await using var __ = client;
        var errors = client.Proxy<IErrors>();

        await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailCodedAsync("c", "m"));
        await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailUnexpectedAsync("m"));

        Assert.Empty(HandlerEntries(logs));
        Assert.DoesNotContain(logs.Entries, e => e.Level == LogLevel.None);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData(257)]
    public async Task A_blank_or_too_long_code_of_an_IIpcError_counts_as_none_on_the_wire_and_in_the_log(object? code)
    {
        var text = code is int length ? new string('c', length) : (string?)code;
        var logs = new CollectingLoggerFactory();
        var (server, client) = await StartAsync(logs);
        await using var _ = server;
        await using var __ = client;

        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.Proxy<IErrors>().FailDomainAsync(text!, "m"));

        Assert.Equal(RemoteInvocationException.UnhandledErrorCode, e.ErrorCode);
        Assert.NotNull(e.RemoteStackTrace);
        Assert.Equal((HandlerFailed, LogLevel.Error), HandlerEntries(logs).Select(x => (x.Id.Id, x.Level)).Single());
    }

    [Fact]
    public void An_IpcErrorException_needs_a_code_of_1_to_256_characters()
    {
        Assert.Throws<ArgumentNullException>(() => new IpcErrorException(null!, "m"));
        Assert.Throws<ArgumentException>(() => new IpcErrorException("", "m"));
        Assert.Throws<ArgumentException>(() => new IpcErrorException(" \t", "m"));
        Assert.Throws<ArgumentException>(() => new IpcErrorException(new string('c', 257), "m"));
        Assert.Equal(256, new IpcErrorException(new string('c', 256), "m").ErrorCode.Length);
    }

    [Fact]
    public async Task A_log_level_outside_the_enum_is_refused_at_start()
    {
        var e = await Assert.ThrowsAsync<IpcConfigurationException>(() =>
            IpcServer.StartAsync(Endpoints.InProc(), options: new IpcOptions { DomainErrorLogLevel = (LogLevel)42 }));
        Assert.Contains("DomainErrorLogLevel", e.Message);
        e = await Assert.ThrowsAsync<IpcConfigurationException>(() =>
            IpcServer.StartAsync(Endpoints.InProc(), options: new IpcOptions { UnexpectedErrorLogLevel = (LogLevel)(-1) }));
        Assert.Contains("UnexpectedErrorLogLevel", e.Message);
    }
}
