using System.Runtime.InteropServices;

namespace Letter.Cli.Commands;

/// <summary>
/// Ctrl+C (SIGINT) or SIGTERM cancels the work cooperatively (training writes its checkpoint first);
/// a second signal kills. The synchronous command invocation does not listen for either, so without
/// this a signal ends the process at once and a training run loses the steps since its last checkpoint.
/// </summary>
public sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly PosixSignalRegistration[] _registrations;

    private Interrupt(CancellationToken outer)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>Listens until disposed; <paramref name="outer"/> (the invocation's token) also cancels.</summary>
    public static Interrupt Listen(CancellationToken outer = default) => new(outer);

    private void Handle(PosixSignalContext context)
    {
        if (_cancel.IsCancellationRequested) return; // the second signal takes its default action
        context.Cancel = true;
        Console.Error.WriteLine($"letter: {(context.Signal == PosixSignal.SIGINT ? "Ctrl+C" : "SIGTERM")}: stopping after the current step (again to kill)");
        _cancel.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cancel.Dispose();
    }
}
