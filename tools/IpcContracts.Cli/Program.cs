// ipc: see and drive a running IpcContracts system over the untyped path (list, call, watch, ping), and diff two
// versions of a contracts assembly by the baseline analyzers' rules. README.md, "The ipc tool".
using System.CommandLine;
using IpcContracts;
using IpcContracts.Cli.Commands;
using IpcContracts.Cli.Infrastructure;

var root = new RootCommand("ipc: see and drive a running IpcContracts system, and diff contract versions.")
{
    ListCommand.Create(),
    CallCommand.Create(),
    WatchCommand.Create(),
    PingCommand.Create(),
    DiffCommand.Create(),
};
root.Options.Add(CommonOptions.ConnectTimeout);

// No response files: `@FILE` is how `ipc call` reads its arguments from a file, so the parser must leave it alone.
var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parsed.Errors.Count > 0)
{
    // One line, not the usage screen: the errors say what is wrong, --help says the rest.
    var command = parsed.CommandResult.Command;
    var path = string.Join(' ', command.Parents.OfType<Command>().Where(c => c != root).Reverse().Select(c => c.Name).Append(command == root ? "" : command.Name)).Trim();
    Terminal.Error($"{string.Join("; ", parsed.Errors.Select(e => e.Message.TrimEnd('.')))} (see `ipc {path}{(path.Length > 0 ? " " : "")}--help`)");
    return ExitCodes.Usage;
}
try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (CliException e)
{
    Terminal.Error(e.Message);
    return e.ExitCode;
}
catch (Exception e) when (e is IpcException or IOException or TimeoutException)
{
    Terminal.Error(e.Message);
    return ExitCodes.Unavailable;
}
