using Letter.Models.LcRec;
using static TorchSharp.torch;

namespace Letter.Tests.Models.LcRec;

public sealed class LlamaGreedyTests
{
    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void Stories260K_Greedy200FromBos_ReproducesReferenceText()
    {
        var (model, tokenizer) = Stories.Load();
        using var _ = model;
        var tokens = Stories.Greedy(model, tokenizer.Bos, 200);
        var expected = System.IO.File.ReadAllBytes(SharedData.Path("models", "stories260K", "greedy-200.txt"));
        var text = tokenizer.Decode(tokens);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), text);
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetBytes(text));
    }

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void Stories260K_CachedSteps_EqualWholeSequenceForward()
    {
        var (model, tokenizer) = Stories.Load();
        using var _ = model;
        var tokens = Stories.Greedy(model, tokenizer.Bos, 30);
        using var noGrad = no_grad();
        var ids = tensor(new long[] { tokenizer.Bos }.Concat(tokens.Select(t => (long)t)).ToArray()).view(1, -1);
        var full = model.Logits(ids);                                        // [1, 31, V]
        var greedyFromFull = full[0].argmax(-1).data<long>().ToArray()[..30];
        Assert.Equal(tokens.Select(t => (long)t), greedyFromFull);
    }

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void Stories260K_Tokenizer_EncodesReferenceTextBackToItsTokens()
    {
        var (model, tokenizer) = Stories.Load();
        using var _ = model;
        var text = System.IO.File.ReadAllText(SharedData.Path("models", "stories260K", "greedy-200.txt"));
        var ids = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal(model.Config.VocabSize, tokenizer.BaseCount);
    }
}
