using Letter.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>
/// AdamW as Hugging Face's Trainer builds it for LETTER-TIGER: weight decay on the embeddings and
/// projections, none on the layer norms and the relative position bias tables. The Trainer exempts
/// norm layers and every parameter whose name contains "bias"; a T5 has no other biases, so in T5
/// these are exactly its RMS norm scales and its relative_attention_bias tables.
/// </summary>
public static class TigerOptimizer
{
    /// <summary>Group 0: decayed by <see cref="TigerConfig.WeightDecay"/>; group 1: not decayed.</summary>
    public static AdamW Create(TigerModel model, TigerConfig config)
    {
        var exempt = model.modules()
            .Where(m => m is RmsNorm or RelativePositionBias)
            .SelectMany(m => m.parameters())
            .Select(p => p.Handle)
            .ToHashSet();
        var all = model.parameters().ToList();
        return optim.AdamW(
        [
            new AdamW.ParamGroup(all.Where(p => !exempt.Contains(p.Handle)), lr: config.LearningRate, weight_decay: config.WeightDecay),
            new AdamW.ParamGroup(all.Where(p => exempt.Contains(p.Handle)), lr: config.LearningRate, weight_decay: 0),
        ], config.LearningRate);
    }
}
