using Letter.Formats;
using System.Diagnostics;
using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// Timings of LC-Rec's training step (LoRA, embedding and head trained, response loss) and of its
/// constrained beam search through the seam, on random histories of a random index's identifiers.
/// </summary>
public static class LcRecBenchmark
{
    public sealed record StepTiming(string Model, long Parameters, int Batch, int HistoryItems, int SequenceLength, double MedianSeconds, double TokensPerSecond, long PeakRssMb);

    public sealed record BeamTiming(string Model, int Users, int Beam, int HistoryItems, int PromptLength, int BatchUsers, string Precision,
        double Seconds, double UsersPerSecond, long PeakRssMb);

    /// <summary>
    /// Shapes of public checkpoints, for random-weight benchmarks (their config.json values):
    /// "smollm2-135m" (HuggingFaceTB/SmolLM2-135M) and "qwen2.5-0.5b" (Qwen/Qwen2.5-0.5B).
    /// </summary>
    public static LlamaConfig Shape(string name) => name switch
    {
        "smollm2-135m" => new LlamaConfig
        {
            VocabSize = 49152, HiddenSize = 576, IntermediateSize = 1536, NumHiddenLayers = 30, NumAttentionHeads = 9, NumKeyValueHeads = 3,
            RmsNormEps = 1e-5, RopeTheta = 100000, MaxPositionEmbeddings = 8192, TieWordEmbeddings = true, BosTokenId = 0, EosTokenId = 0,
        },
        "qwen2.5-0.5b" => new LlamaConfig
        {
            Architecture = LlmArchitecture.Qwen2, VocabSize = 151936, HiddenSize = 896, IntermediateSize = 4864, NumHiddenLayers = 24, NumAttentionHeads = 14,
            NumKeyValueHeads = 2, RmsNormEps = 1e-6, RopeTheta = 1000000, MaxPositionEmbeddings = 32768, TieWordEmbeddings = true, AttentionBias = true,
            BosTokenId = 151643, EosTokenId = 151643,
        },
        _ => throw new ArgumentException($"no model shape named {name} (smollm2-135m, qwen2.5-0.5b)"),
    };

    /// <summary>
    /// A base model: a real one (a GGUF file or Hugging Face folder), or "random:SHAPE" with weights drawn from
    /// <paramref name="seed"/> and the given tokenizer (the tokenizer only spells prompts; a random model's
    /// prompt length then follows that tokenizer, not the real model's).
    /// </summary>
    public static LlmCheckpoint Base(string spec, LlmTokenizer tokenizer, long seed)
    {
        if (!spec.StartsWith("random:", StringComparison.Ordinal)) return LlmCheckpoint.Load(spec);
        var config = Shape(spec["random:".Length..]);
        using var torchSeed = new TorchSeed(seed);
        using var model = new LlamaForCausalLM(config);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (!name.EndsWith("norm.weight", StringComparison.Ordinal)) p.normal_(0, 0.02);
        var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        return LlmCheckpoint.FromTensors(spec, config with { BosTokenId = tokenizer.Bos, EosTokenId = tokenizer.Eos }, tensors, tokenizer);
    }

    /// <summary>A seeded index of distinct random identifiers (levels x codes).</summary>
    public static ItemIndex RandomIndex(int items, int levels, int codes, int seed)
    {
        var rng = new SplitMix64((ulong)seed);
        var seen = new HashSet<string>();
        var result = new List<int[]>(items);
        while (result.Count < items)
        {
            var c = Enumerable.Range(0, levels).Select(_ => rng.Next(codes)).ToArray();
            if (seen.Add(string.Join(',', c))) result.Add(c);
        }
        return new ItemIndex(result.ToArray());
    }

    private static int[] History(SplitMix64 rng, int items, int length) => Enumerable.Range(0, length).Select(_ => rng.Next(items)).ToArray();

    /// <summary>Median seconds of an optimizer step on <paramref name="batch"/> sequences with <paramref name="historyItems"/> history items each.</summary>
    public static StepTiming TrainStep(LcRecModel lc, LcRecConfig config, string name, int batch, int historyItems, int steps = 5, int warmup = 1)
    {
        var rng = new SplitMix64(7);
        var samples = Enumerable.Range(0, batch).Select(u => LcRecTrainer.Encode(lc, new Sample(u, History(rng, lc.Index.ItemCount, historyItems), rng.Next(lc.Index.ItemCount)))).ToList();
        int length = samples[0].Tokens.Length;
        samples = samples.Where(s => s.Tokens.Length == length).ToList(); // one length per batch (all equal with identifier-only histories)
        using var session = new LcRecSession(lc, config, samples);
        var all = Enumerable.Range(0, samples.Count).ToArray();
        var times = new List<double>();
        for (int s = 0; s < warmup + steps; s++)
        {
            var clock = Stopwatch.StartNew();
            Trainer.Step(session, [all], config, config.LearningRate, s);
            if (s >= warmup) times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        double median = times[times.Count / 2];
        return new StepTiming(name, lc.Model.parameters().Sum(p => p.numel()), samples.Count, historyItems, length, median, samples.Count * length / median, PeakRssMb());
    }

    /// <summary>Beam search (through <see cref="GenerativeRecommender"/>) of <paramref name="users"/> random histories.</summary>
    public static BeamTiming Beam(LcRecModel lc, string name, int users, int historyItems, int beam, int batchUsers, bool bf16)
    {
        var rng = new SplitMix64(11);
        var histories = Enumerable.Range(0, users).Select(_ => History(rng, lc.Index.ItemCount, historyItems)).ToList();
        var popularity = new int[lc.Index.ItemCount];
        using var recommender = LcRecRecommender.Create(lc, popularity, beam);
        LoraAdapters.Merge(lc.Model);
        if (bf16) recommender.LcRec().UseBf16();
        recommender.Decode(histories.Take(Math.Min(users, batchUsers)).ToList(), batchUsers: batchUsers); // warm-up
        var clock = Stopwatch.StartNew();
        recommender.Decode(histories, batchUsers: batchUsers);
        double seconds = clock.Elapsed.TotalSeconds;
        return new BeamTiming(name, users, beam, historyItems, lc.PromptTokens(histories[0]).Length, batchUsers, recommender.Precision == Precision.Bf16 ? "bf16" : "fp32",
            seconds, users / seconds, PeakRssMb());
    }

    /// <summary>The process's peak resident memory (VmHWM), MB.</summary>
    public static long PeakRssMb() => ProcessMemory.PeakRssMb();

    /// <summary>
    /// LC-Rec timings: 'step:BATCH:HISTORY_ITEMS' (a training step) and 'beam:USERS:HISTORY_ITEMS[:BATCH_USERS][:bf16]' (beam search);
    /// --base may be random:smollm2-135m or random:qwen2.5-0.5b (random weights of that shape, stories260K's tokenizer for the prompts).
    /// </summary>
    internal static void Run(string spec, string baseModel, ItemIndex index, LcRecConfig config, TextWriter output)
    {
        var opts = System.Text.Json.JsonSerializerOptions.Default;
        LlmTokenizer? tokenizer = null;
        if (baseModel.StartsWith("random:", StringComparison.Ordinal))
        {
            var gguf = PromptTokenizerFile();
            if (!File.Exists(gguf)) throw new ArgumentException($"a random base model spells its prompts with a GGUF file's vocabulary: set LETTER_PROMPT_TOKENIZER (no {gguf})");
            tokenizer = GgufCheckpoint.ReadTokenizer(GgufFile.Read(gguf));
        }
        using var checkpoint = Base(baseModel, tokenizer!, config.Seed);
        foreach (var part in spec.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = part.Split(':');
            using var lc = LcRecModel.Create(LlmCheckpoint.FromTensors(checkpoint.Source, checkpoint.Config, checkpoint.Tensors, FreshTokenizer(checkpoint, baseModel, tokenizer)), index, config.Seed);
            LoraAdapters.Apply(lc.Model, config.Lora, config.Seed + 1);
            if (f[0] == "step" && f.Length == 3)
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(TrainStep(lc, config, baseModel, int.Parse(f[1]), int.Parse(f[2])), opts));
            else if (f[0] == "beam" && f.Length >= 3 && f.Skip(3).All(x => x == "bf16" || int.TryParse(x, out _)))
            {
                bool bf16 = f.Skip(3).Contains("bf16");
                int batchUsers = f.Skip(3).Where(x => x != "bf16").Select(int.Parse).DefaultIfEmpty(config.EvalBatchUsers).First();
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(Beam(lc, baseModel, int.Parse(f[1]), int.Parse(f[2]), config.Beam, batchUsers, bf16), opts));
            }
            else throw new ArgumentException($"--benchmark: cannot read '{part}' (use step:BATCH:HISTORY_ITEMS or beam:USERS:HISTORY_ITEMS[:BATCH_USERS][:bf16])");
        }
    }

    /// <summary>The GGUF file whose vocabulary spells a random model's prompts: LETTER_PROMPT_TOKENIZER, else ../shared's stories260K.</summary>
    private static string PromptTokenizerFile() =>
        Environment.GetEnvironmentVariable("LETTER_PROMPT_TOKENIZER") ?? Path.Combine("..", "shared", "models", "stories260K", "stories260K.gguf");

    /// <summary>A tokenizer without added tokens for each model built (identifier tokens are added per model).</summary>
    private static LlmTokenizer FreshTokenizer(LlmCheckpoint checkpoint, string baseModel, LlmTokenizer? randomTokenizer)
    {
        if (randomTokenizer is not null)
        {
            return GgufCheckpoint.ReadTokenizer(GgufFile.Read(PromptTokenizerFile()));
        }
        using var again = LlmCheckpoint.Load(baseModel);
        return again.Tokenizer ?? throw new ArgumentException($"{baseModel} has no tokenizer");
    }

}
