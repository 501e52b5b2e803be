using Letter.Common;
using Letter.Models.LcRec;
using static TorchSharp.torch;

namespace Letter.Tests.Models.LcRec;

/// <summary>Tiny random LLaMA-family models for fast tests.</summary>
internal static class TinyLlm
{
    public static LlamaConfig Config(bool tied = false, LlmArchitecture arch = LlmArchitecture.Llama) => new()
    {
        Architecture = arch, VocabSize = 40, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2,
        NumAttentionHeads = 4, NumKeyValueHeads = 2, RmsNormEps = 1e-5, RopeTheta = 10000, MaxPositionEmbeddings = 64,
        TieWordEmbeddings = tied, AttentionBias = arch == LlmArchitecture.Qwen2,
    };

    /// <summary>A model with weights drawn from <paramref name="seed"/> (norm scales too, so none is trivially 1).</summary>
    public static LlamaForCausalLM Random(LlamaConfig config, int seed)
    {
        manual_seed(seed);
        var model = new LlamaForCausalLM(config);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.copy_(rand_like(p) + 0.5);
                else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.copy_(randn_like(p) * 0.1);
        model.eval();
        return model;
    }

    public static Tensor Ids(int seed, int batch = 2, int length = 7, int vocab = 40)
    {
        using var g = new Generator().manual_seed(seed);
        return randint(0, vocab, [batch, length], generator: g, dtype: ScalarType.Int64);
    }

    public static float[] Logits(LlamaForCausalLM model, Tensor ids)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return model.Logits(ids).to_type(ScalarType.Float32).data<float>().ToArray();
    }

    public static void Close(float[] expected, float[] actual, double atol, double rtol = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double excess = Math.Abs(expected[i] - actual[i]) - (atol + rtol * Math.Abs(expected[i]));
            if (excess > worst) { worst = excess; at = i; }
        }
        Assert.True(at < 0, at < 0 ? "" : $"element {at}: expected {expected[at]}, got {actual[at]} (|d| {Math.Abs(expected[at] - actual[at]):G3})");
    }
}
