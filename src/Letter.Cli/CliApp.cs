using System.CommandLine;
using System.CommandLine.Help;
using Letter.Cli.Commands;
using Letter.IO;

namespace Letter.Cli;

/// <summary>
/// Builds the command tree and runs it. Exit codes: 0 success, 2 bad usage or bad input (one line on
/// standard error, no stack trace), 1 an internal error.
/// </summary>
public static class CliApp
{
    public const int BadInput = 2;

    public static Command Build()
    {
        // A plain command named "letter" rather than RootCommand, whose name would be the assembly's.
        var root = new Command("letter",
            "Letter: learnable item tokenization (LETTER) and generative recommendation (TIGER) in .NET.\n" +
            "Start with './letter demo'; every command explains itself with --help.");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(RunCommand.Build());
        root.Subcommands.Add(RecommendCommand.Build());
        root.Subcommands.Add(DataCommand.Build());
        root.Subcommands.Add(ImportCommand.Build());
        root.Subcommands.Add(EmbedCommand.Build());
        root.Subcommands.Add(CfCommand.Build());
        root.Subcommands.Add(TokenizeCommand.Build());
        root.Subcommands.Add(TrainCommand.Build());
        root.Subcommands.Add(EvalCommand.Build());
        root.Subcommands.Add(CompareCommand.Build());
        root.Subcommands.Add(ConfigCommand.Build());
        return root;
    }

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var error = stderr ?? Console.Error;
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = string.Join(' ', CommandPath(parse.CommandResult.Command));
            // An unknown word explains more than the "required command" error it causes.
            var first = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            error.WriteLine($"letter: {first.Message} (see '{command} --help')");
            return BadInput;
        }
        try
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            if (stdout is not null) config.Output = stdout;
            if (stderr is not null) config.Error = stderr;
            return parse.Invoke(config);
        }
        catch (LetterDataException e)
        {
            error.WriteLine($"letter: {e.Message}");
            return BadInput;
        }
        catch (Exception e) when (e is UsageException or LetterConfigException or Letter.Common.TrainingDivergedException)
        {
            error.WriteLine($"letter: {e.Message}");
            return BadInput;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("letter: interrupted");
            return 130;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("LETTER_DEBUG") != "1")
        {
            error.WriteLine($"letter: internal error: {e.GetType().Name}: {e.Message} (set LETTER_DEBUG=1 for the stack trace)");
            return 1;
        }
    }

    private static IEnumerable<string> CommandPath(Command command)
    {
        var names = new List<string>();
        for (var c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c.Name);
        return names;
    }
}
