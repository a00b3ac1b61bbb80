// Seed 000's use case: a UI process gets a 24 MB startup package from a worker process, with progress, while the UI
// stays responsive. `dotnet run --project samples/StartupPackage [-- --transport pipe|shm|tcp] [--megabytes N]`
// starts the worker as a second process, then prints the worker's progress, the transfer and the UI's heartbeat.
using StartupPackage;

var options = SampleOptions.Parse(args);
return options.Role == "worker"
    ? await WorkerRole.RunAsync(options.Endpoint)
    : await UiRole.RunAsync(options);
