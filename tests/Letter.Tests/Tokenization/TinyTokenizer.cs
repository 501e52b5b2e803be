using Letter.IO;
using Letter.Tokenization;

namespace Letter.Tests.Tokenization;

/// <summary>Tiny settings and data that train in well under a second.</summary>
internal static class TinyTokenizer
{
    public static TokenizerConfig Config => new()
    {
        HiddenLayers = [16, 8],
        LatentDim = 4,
        CodebookSizes = [8, 8, 8],
        SinkhornEpsilons = [0, 0, 0.003],
        Clusters = 2,
        BatchSize = 32,
        MaxEpochs = 3,
        MinEpochs = 3,
        EvalEvery = 1,
        KMeansRestarts = 2,
        KMeansIterations = 5,
        Seed = 7,
    };

    /// <summary>Gaussian rows [rows, cols] from a fixed seed.</summary>
    public static FloatMatrix Random(int rows, int cols, ulong seed)
    {
        var rng = new Letter.Common.SplitMix64(seed);
        var data = new float[rows * cols];
        for (int i = 0; i < data.Length; i++)
            data[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return new FloatMatrix(data, rows, cols);
    }
}
