using Letter.Common;
using System.CommandLine;
using Letter.Service;

namespace Letter.Cli.Commands;

/// <summary><c>letter serve RUN [--urls URL] [--max-batch 32] [--max-wait-ms 5] [--queue 256] [--max-request-beams 6400] [--max-batch-beams 1024] [--large-request-beams 256] [--admin-token T] [--threads 2] [--lanes N] [--lane-threads N] [--answer-cache 10000] [--bf16]</c>.</summary>
public static class ServeCommand
{
    public static Command Build()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder of 'letter run' (tiger/ and tokenizer/) or of 'letter train'" };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on, ';'-separated", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most histories decoded together", DefaultValueFactory = _ => 32 };
        var maxWait = new Option<int>("--max-wait-ms") { Description = "Longest wait for more requests to join a batch", DefaultValueFactory = _ => 5 };
        var requestBeams = new Option<int>("--max-request-beams") { Description = "Most beams one request may ask for in all (histories x beam); above it a 400", DefaultValueFactory = _ => 6400 };
        var batchBeams = new Option<int>("--max-batch-beams") { Description = "Most beams decoded in one call: a large batch is decoded in parts of this size, other requests between them", DefaultValueFactory = _ => 1024 };
        var queue = new Option<int>("--queue") { Description = "Most decodings waiting; beyond it requests get 503 with Retry-After", DefaultValueFactory = _ => 256 };
        var token = new Option<string?>("--admin-token") { Description = "Allow admin endpoints from any address with 'Authorization: Bearer TOKEN' (default: loopback clients only, no token)" };
        var threads = new Option<int>("--threads") { Description = "Torch threads in all (the lanes' together)", DefaultValueFactory = _ => 2 };
        var lanes = new Option<int?>("--lanes") { Description = "Decoder lanes, each decoding its own batches (default: one per core, at most --threads)" };
        var laneThreads = new Option<int?>("--lane-threads") { Description = "Torch threads of each lane (default: --threads shared among the lanes)" };
        var largeBeams = new Option<int>("--large-request-beams") { Description = "Beams in all above which a request is large: decoded on one lane at a time, leaving a lane to small requests", DefaultValueFactory = _ => 256 };
        var cache = new Option<int>("--answer-cache") { Description = "Answers kept for repeated requests on the current model (0: none); emptied on reload and on new items", DefaultValueFactory = _ => 10_000 };
        var bf16 = new Option<bool>("--bf16") { Description = "Decode in bfloat16 (faster on CPUs with AVX-512 BF16/AMX; same rankings up to near ties)" };
        var cmd = new Command("serve", "Serve a run's recommendations over HTTP: /v1/recommend, look-ups, new items, health, metrics, an API page at /docs");
        cmd.Arguments.Add(run);
        var device = DeviceOption.Create();
        foreach (var o in new Option[] { urls, maxBatch, maxWait, queue, requestBeams, batchBeams, largeBeams, token, threads, lanes, laneThreads, cache, bf16, device }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var options = new ServeOptions
            {
                RunDirectory = parse.GetValue(run)!,
                Urls = parse.GetValue(urls)!,
                MaxBatch = parse.GetValue(maxBatch),
                MaxWaitMs = parse.GetValue(maxWait),
                QueueCapacity = parse.GetValue(queue),
                MaxRequestBeams = parse.GetValue(requestBeams),
                MaxBatchBeams = parse.GetValue(batchBeams),
                AdminToken = parse.GetValue(token),
                Threads = parse.GetValue(threads),
                Lanes = parse.GetValue(lanes),
                LaneThreads = parse.GetValue(laneThreads),
                LargeRequestBeams = parse.GetValue(largeBeams),
                AnswerCacheEntries = parse.GetValue(cache),
                Bf16 = parse.GetValue(bf16),
                Device = DeviceOption.Read(parse, device),
                StopOnLoadFailure = true,
            };
            try { options.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message.Split(" (Parameter")[0].Split(Environment.NewLine)[0]); }
            ServedRun_Check(options.RunDirectory);
            // the device is checked before anything loads; the served model lives and decodes on it
            LetterRuntime.Apply(new RuntimeOptions(options.Threads, Fp32Products: !options.Bf16, Device: options.Device));
            var app = LetterServer.Build(options);
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine($"letter serve: loading {Path.GetFullPath(options.RunDirectory)}; listening on {options.Urls} (API page: /docs, ready: /health/ready)");
            var host = app.Services.GetService(typeof(ModelHost)) as ModelHost;
            app.Run();
            if (host?.LoadError is { } error) throw new IO.LetterDataException(options.RunDirectory, null, $"could not be served: {error}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Fails fast, with the CLI's one-line error, on a folder that holds no model.</summary>
    private static void ServedRun_Check(string path) => Letter.Kinds.OpenedRun.ModelDirectory(path);
}
