namespace Letter.Cli.Commands;

/// <summary>Ctrl+C cancels the work cooperatively (training writes its checkpoint first); a second Ctrl+C kills.</summary>
public static class Interrupt
{
    public static CancellationTokenSource OnCtrlC()
    {
        var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler? handler = null;
        handler = (_, e) =>
        {
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            Console.Error.WriteLine("letter: stopping after the current step (Ctrl+C again to kill)");
            cts.Cancel();
            Console.CancelKeyPress -= handler;
        };
        Console.CancelKeyPress += handler;
        return cts;
    }
}
