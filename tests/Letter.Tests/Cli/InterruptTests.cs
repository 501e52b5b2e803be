using System.Diagnostics;
using System.Runtime.InteropServices;
using Letter.Tests.Models.Tiger;

namespace Letter.Tests.Cli;

/// <summary>A signal to a training process stops it cleanly: last checkpoint written, exit 130.</summary>
public class InterruptTests
{
    [DllImport("libc.so.6", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    [Fact]
    public async Task Sigterm_during_training_writes_the_last_checkpoint_and_exits_130()
    {
        using var tmp = new TempDir();
        var data = TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 400);
        var run = tmp.File("run");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Letter.Cli.dll"), "train", data, "--out", run, "--epochs", "500", "--valid-users", "20", "--threads", "1" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            // config.json is written once the trainer (and the signal handler before it) is running
            var clock = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(run, "config.json")) && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100);
            Assert.False(process.HasExited, "training ended before the signal");
            await Task.Delay(1000);
            Assert.Equal(0, SendSignal(process.Id, 15));
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
        string err = await stderr;
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("SIGTERM: stopping after the current step", err);
        Assert.Contains("letter: interrupted", err);
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "last.ckpt")), $"no last checkpoint; stderr: {err}");
        await stdout;
    }
}
