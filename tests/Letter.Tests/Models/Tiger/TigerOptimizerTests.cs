using Letter.IO;
using Letter.Models.Tiger;
using Letter.Training;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

public class TigerOptimizerTests
{
    [Fact]
    public void Weight_decay_shrinks_embeddings_and_projections_but_not_norms_or_position_biases()
    {
        var config = TinyTiger.Config() with { LearningRate = 0.1, WeightDecay = 0.5 };
        manual_seed(3);
        using var model = new TigerModel(config, vocabularySize: 14);
        var optimizer = TigerOptimizer.Create(model, config);
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

        // zero gradients: Adam's update is 0, so the step is the decoupled decay alone, w *= 1 - lr * wd
        model.parameters().Select(p => p.sum()).Aggregate((a, b) => a + b).mul(0).backward();
        optimizer.step();

        int decayed = 0, exempt = 0;
        foreach (var (name, p) in model.named_parameters())
        {
            // by name, as the Trainer decides: norms (ln_* in blocks, encoder_ln, decoder_ln) and names with "bias"
            bool isExempt = name.Split('.').Any(part => part.StartsWith("ln_") || part.EndsWith("_ln")) || name.Contains("bias");
            var expected = isExempt ? before[name] : before[name] * (1 - 0.1 * 0.5);
            Assert.True(p.detach().allclose(expected, rtol: 1e-6, atol: 0), $"{name} (exempt: {isExempt})");
            if (isExempt) exempt++; else decayed++;
        }
        // 2+2 blocks with 2 or 3 norms each, 2 final norms, 2 bias tables; embedding, attention and feed-forward weights
        Assert.Equal(2 * 2 + 2 * 3 + 2 + 2, exempt);
        Assert.True(decayed > 20, $"{decayed} decayed parameters");
    }

    [Fact]
    public void A_checkpoint_with_the_old_single_group_optimizer_state_is_refused_with_a_clear_error()
    {
        using var tmp = new TempDir();
        var config = TinyTiger.Config();
        using var model = new TigerModel(config, vocabularySize: 14);
        var oldOptimizer = optim.AdamW(model.parameters(), config.LearningRate, weight_decay: config.WeightDecay);
        var path = tmp.File("last.ckpt");
        TigerCheckpoint.Save(path, model, new TrainerState(), oldOptimizer);

        var e = Assert.Throws<LetterDataException>(() => TigerCheckpoint.Load(path, model, TigerOptimizer.Create(model, config)));
        Assert.Contains(path, e.Message);
        Assert.Contains("resumes only with that Letter", e.Message);
    }
}
