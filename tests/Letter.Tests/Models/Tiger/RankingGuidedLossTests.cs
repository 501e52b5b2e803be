using Letter.Models.Tiger;
using Letter.Training;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

public class RankingGuidedLossTests
{
    [Fact]
    public void Loss_equals_hand_computed_cross_entropy_of_logits_over_tau_ignoring_padding()
    {
        // one sequence, 3 target positions (the last ignored), vocabulary 3
        using var logits = tensor(new float[] { 1, 2, 3, 0, 0, 1, 5, 5, 5 }, [1, 3, 3]);
        using var targets = tensor(new long[] { 2, 0, RankingGuidedLoss.Ignore }, [1, 3]);
        double tau = 0.7;
        double Nll(double[] z, int t)
        {
            var s = z.Select(x => x / tau).ToArray();
            double lse = Math.Log(s.Sum(Math.Exp));
            return lse - s[t];
        }
        double expected = (Nll([1, 2, 3], 2) + Nll([0, 0, 1], 0)) / 2;
        using var loss = RankingGuidedLoss.Compute(logits, targets, tau);
        Assert.Equal(expected, loss.item<float>(), 5);
        // tau = 1 is plain cross-entropy: smaller here than with the sharper tau 0.7 for the wrong-token position
        using var plain = RankingGuidedLoss.Compute(logits, targets, 1.0);
        Assert.Equal((Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3 + Math.Log(2 + Math.E) - 0) / 2, plain.item<float>(), 5);
    }
}
