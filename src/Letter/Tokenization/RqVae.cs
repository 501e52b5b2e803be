using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>
/// The RQ-VAE: MLP encoder to a Dz latent, residual quantizer, mirrored MLP decoder
/// (original RQ-VAE/models/rqvae.py). With <see cref="TokenizerKind.ResidualKMeans"/> the encoder
/// and decoder are identities and the codebooks live in the input space.
/// </summary>
public sealed class RqVae : nn.Module
{
    [ComponentName(Name = "encoder")]
    private readonly MlpStack? _encoder;

    [ComponentName(Name = "rq")]
    private readonly ResidualQuantizer _quantizer;

    [ComponentName(Name = "decoder")]
    private readonly MlpStack? _decoder;

    public RqVae(int inputDim, TokenizerConfig config) : base("rqvae")
    {
        InputDim = inputDim;
        Config = config;
        if (config.Kind == TokenizerKind.RqVae)
        {
            int[] sizes = [inputDim, .. config.HiddenLayers, config.LatentDim];
            _encoder = new MlpStack("encoder", sizes, config.Dropout) { Bf16 = config.Bf16 };
            _decoder = new MlpStack("decoder", sizes.Reverse().ToArray(), config.Dropout) { Bf16 = config.Bf16 };
            _quantizer = new ResidualQuantizer(config.CodebookSizes, config.LatentDim);
        }
        else
        {
            _quantizer = new ResidualQuantizer(config.CodebookSizes, inputDim);
        }
        RegisterComponents();
    }

    public int InputDim { get; }
    public TokenizerConfig Config { get; }
    public ResidualQuantizer Quantizer => _quantizer;
    public int LatentDim => _quantizer.Dim;

    /// <summary>z = encoder(x) [B, Dz] (x itself without a network).</summary>
    public Tensor Encode(Tensor x) => _encoder is null ? x.alias() : _encoder.call(x);

    public Tensor Decode(Tensor quantized) => _decoder is null ? quantized.alias() : _decoder.call(quantized);

    /// <summary>Encoded latents of all rows, in batches, without gradient. [N, Dz] as a managed array.</summary>
    public float[] EncodeAll(float[] x, int rows, int batch = 4096)
    {
        using var _ = no_grad();
        bool wasTraining = training;
        eval();
        var result = new float[(long)rows * LatentDim];
        for (int start = 0; start < rows; start += batch)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(batch, rows - start);
            var input = tensor(x.AsSpan(start * InputDim, count * InputDim).ToArray(), [count, InputDim]);
            Encode(input).contiguous().data<float>().CopyTo(result.AsSpan(start * LatentDim, count * LatentDim));
        }
        train(wasTraining);
        return result;
    }
}
