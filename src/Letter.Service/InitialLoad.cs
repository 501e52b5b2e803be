using Microsoft.Extensions.Hosting;

namespace Letter.Service;

/// <summary>Starts the first load in the background at start-up, so <c>/health/live</c> answers at once.</summary>
internal sealed class InitialLoad(ModelHost host, IHostApplicationLifetime lifetime, ServeOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = host.StartLoading().ContinueWith(t =>
        {
            if (t.IsFaulted && options.StopOnLoadFailure) lifetime.StopApplication();
        }, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
