using Letter.Models.LcRec;
using static TorchSharp.torch;

namespace Letter.Tests.Models.LcRec;

/// <summary>The shared stories260K checkpoint, loaded into a model.</summary>
internal static class Stories
{
    public static readonly string[] File = ["models", "stories260K", "stories260K.gguf"];

    public static string Path => SharedData.Path(File);

    public static (LlamaForCausalLM Model, LlmTokenizer Tokenizer) Load()
    {
        using var checkpoint = LlmCheckpoint.Load(Path);
        var model = new LlamaForCausalLM(checkpoint.Config);
        LlmCheckpoint.LoadInto(model, checkpoint.Tensors, checkpoint.Source);
        model.eval();
        return (model, checkpoint.Tokenizer!);
    }

    /// <summary>Greedy decoding from BOS with the KV cache: the generated tokens.</summary>
    public static List<int> Greedy(LlamaForCausalLM model, int bos, int steps)
    {
        using var noGrad = no_grad();
        using var cache = new KvCache(model.Config.NumHiddenLayers);
        var tokens = new List<int>();
        long current = bos;
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var logits = model.Head(model.Hidden(tensor(new[] { current }).view(1, 1), cache)); // [1, 1, V]
            current = logits[0, 0].argmax().item<long>();
            tokens.Add((int)current);
        }
        return tokens;
    }
}
