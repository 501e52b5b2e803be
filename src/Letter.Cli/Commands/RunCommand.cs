using System.CommandLine;
using Letter.Pipeline;

using Letter.Cli.Progress;

using Letter.Common;

namespace Letter.Cli.Commands;

/// <summary><c>letter run [CONFIG.json] [--setting value ...]</c>: the whole pipeline, stage by stage, resumable.</summary>
public static class RunCommand
{
    public static Command Build()
    {
        var configFile = new Argument<string?>("CONFIG") { Description = "Run config (JSON); every setting can also be given as a flag", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("run",
            "Run the pipeline: text embeddings (when needed), SASRec CF embeddings (when none are given), LETTER tokenizer, " +
            "TIGER training and evaluation, report. A rerun reuses finished stages and resumes interrupted training.");
        cmd.Arguments.Add(configFile);
        var settings = new ConfigOptions<RunConfig>(cmd, new RunConfig());
        cmd.SetAction(parse =>
        {
            var config = ConfigJson.Load(new RunConfig(), parse.GetValue(configFile), settings.Overrides(parse));
            // one decision (and at most one line) for both stages that can run in bf16; the effective precision is what the stages record
            if (config.AnyBf16 && !HostCpu.Bf16(true, "run (tokenizer.bf16, tiger.bf16)", parse.InvocationConfiguration.Error))
                config = config.WithoutBf16();
            var output = parse.InvocationConfiguration.Output;
            using var cancel = Interrupt.Listen();
            var summary = new RunPipeline(config, output, ConsoleProgress.Instance, LetterRuntime.Apply).Run(cancel.Token);
            SummaryTable.Write(output, summary);
            return 0;
        });
        return cmd;
    }
}

/// <summary><c>letter config show [CONFIG.json]</c>: the effective config (defaults, then the file, then flags).</summary>
public static class ConfigCommand
{
    public static Command Build()
    {
        var config = new Command("config", "Show run configs");
        var file = new Argument<string?>("CONFIG") { Description = "Run config (JSON) to merge over the defaults", Arity = ArgumentArity.ZeroOrOne };
        var show = new Command("show", "Print the effective run config as JSON: the paper's defaults, then CONFIG, then any flags");
        show.Arguments.Add(file);
        var settings = new ConfigOptions<RunConfig>(show, new RunConfig());
        show.SetAction(parse =>
        {
            var effective = ConfigJson.Load(new RunConfig(), parse.GetValue(file), settings.Overrides(parse));
            parse.InvocationConfiguration.Output.WriteLine(ConfigJson.Serialize(effective));
            return 0;
        });
        config.Subcommands.Add(show);
        return config;
    }
}
