using Letter.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>
/// LETTER-TIGER's T5 encoder-decoder over the code-token vocabulary. Input and output embeddings
/// are tied (the output rescaled by d_model^-0.5). The decoder starts from the pad token. Encoder
/// inputs of different lengths are right-padded with the pad token and masked as attention keys.
/// Built and initialised on the CPU (a seed gives the same weights on every device), then moved to its
/// device; everything it computes lives on its inputs' device.
/// </summary>
public sealed class TigerModel : nn.Module
{
    private readonly TorchSharp.Modules.Embedding shared;
    private readonly TorchSharp.Modules.ModuleList<nn.Module> encoder, decoder;
    private readonly RelativePositionBias encoder_bias, decoder_bias;
    private readonly RmsNorm encoder_ln, decoder_ln;
    private readonly SeededDropout _dropout;

    /// <param name="device">where the model lives (moved there once initialised)</param>
    public TigerModel(TigerConfig config, int vocabularySize, ComputeDevice device = default) : base(nameof(TigerModel))
    {
        Config = config;
        VocabularySize = vocabularySize;
        _dropout = new SeededDropout(config.Dropout, (ulong)config.Seed);
        shared = nn.Embedding(vocabularySize, config.DModel, device: CPU);
        encoder = nn.ModuleList<nn.Module>(Enumerable.Range(0, config.EncoderLayers).Select(_ => (nn.Module)new EncoderBlock(config, _dropout)).ToArray());
        decoder = nn.ModuleList<nn.Module>(Enumerable.Range(0, config.DecoderLayers).Select(_ => (nn.Module)new DecoderBlock(config, _dropout)).ToArray());
        encoder_bias = new RelativePositionBias(config.RelativeBuckets, config.Heads, config.RelativeMaxDistance, bidirectional: true);
        decoder_bias = new RelativePositionBias(config.RelativeBuckets, config.Heads, config.RelativeMaxDistance, bidirectional: false);
        encoder_ln = new RmsNorm(config.DModel, config.LayerNormEpsilon);
        decoder_ln = new RmsNorm(config.DModel, config.LayerNormEpsilon);
        RegisterComponents();
        Initialise();
        this.to(device.ToTorch());
    }

    public TigerConfig Config { get; }
    public int VocabularySize { get; }

    /// <summary>Where the weights live: inputs go here.</summary>
    public Device Device => shared.weight!.device;

    /// <summary>The one mask generator every dropout of the model draws from (reseeded per training step).</summary>
    public SeededDropout Dropout => _dropout;

    internal IEnumerable<DecoderBlock> DecoderBlocks => decoder.Cast<DecoderBlock>();

    /// <summary>Hugging Face's T5 initialisation (factor 1).</summary>
    private void Initialise()
    {
        using var _ = no_grad();
        var c = Config;
        nn.init.normal_(shared.weight!, 0, 1);
        foreach (var a in modules().OfType<T5Attention>())
        {
            nn.init.normal_(a.Q.weight!, 0, Math.Pow(c.DModel * c.DKv, -0.5));
            nn.init.normal_(a.K.weight!, 0, Math.Pow(c.DModel, -0.5));
            nn.init.normal_(a.V.weight!, 0, Math.Pow(c.DModel, -0.5));
            nn.init.normal_(a.O.weight!, 0, Math.Pow(c.Heads * c.DKv, -0.5));
        }
        foreach (var f in modules().OfType<FeedForward>())
        {
            nn.init.normal_(f.Wi.weight!, 0, Math.Pow(c.DModel, -0.5));
            nn.init.normal_(f.Wo.weight!, 0, Math.Pow(c.DFf, -0.5));
        }
        nn.init.normal_(encoder_bias.Table.weight!, 0, Math.Pow(c.DModel, -0.5));
        nn.init.normal_(decoder_bias.Table.weight!, 0, Math.Pow(c.DModel, -0.5));
    }

    private Tensor Drop(Tensor t) => _dropout.Apply(t, training);

    /// <summary>ids [B, L], right-padded with the pad token when lengths differ -> [B, L, D].</summary>
    public Tensor Encode(Tensor ids) => Encode(ids, PaddingBias(ids));

    /// <param name="ids">[B, L]</param>
    /// <param name="padding">[B, 1, 1, L]: -inf at pad keys, or null when nothing is padded</param>
    private Tensor Encode(Tensor ids, Tensor? padding)
    {
        using var scope = NewDisposeScope();
        int len = (int)ids.shape[1];
        var x = Drop(shared.call(ids));
        var bias = encoder_bias.Bias(len, len);
        if (padding is not null) bias = bias.Plus(padding); // [B, H, L, L]
        foreach (var block in encoder.Cast<EncoderBlock>()) x = block.Forward(x, bias);
        return Drop(encoder_ln.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The additive key mask of a padded batch, [B, 1, 1, L] (0, or -inf at pad positions), or null
    /// when no row is padded: length-grouped batches then cost nothing extra. Padding is on the right,
    /// so the relative positions of the real tokens are those of the unpadded row.
    /// </summary>
    internal static Tensor? PaddingBias(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var isPad = ids.eq(TigerVocabulary.PadScalar);
        if (!isPad.any().item<bool>()) return null;
        return zeros(ids.shape[0], 1, 1, ids.shape[1], device: ids.device)
            .masked_fill(isPad.view(ids.shape[0], 1, 1, ids.shape[1]), Letter.Common.TorchScalars.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Teacher-forced decoder: decoder input [B, T] (pad then the target shifted) -> logits [B, T, V].
    /// <paramref name="encoderPadding"/> masks the encoder's pad positions from cross-attention.
    /// </summary>
    public Tensor Decode(Tensor decoderInput, Tensor encoded, Tensor? encoderPadding = null)
    {
        using var scope = NewDisposeScope();
        int t = (int)decoderInput.shape[1];
        var y = Drop(shared.call(decoderInput));
        var causal = triu(full(t, t, Letter.Common.TorchScalars.NegativeInfinity, device: decoderInput.device), 1);
        var selfBias = decoder_bias.Bias(t, t).Plus(causal);
        foreach (var block in decoder.Cast<DecoderBlock>()) y = block.Forward(y, encoded, selfBias, encoderPadding);
        return LmHead(Drop(decoder_ln.call(y))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits [B, T, V] for encoder ids [B, L] (right-padded when lengths differ) and targets [B, T]
    /// (decoder input = pad + targets[:-1]).
    /// </summary>
    public Tensor Logits(Tensor ids, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var start = zeros(targets.shape[0], 1, dtype: ScalarType.Int64, device: targets.device);
        var decoderInput = cat([start, targets.narrow(1, 0, targets.shape[1] - 1)], 1);
        var padding = PaddingBias(ids);
        return Decode(decoderInput, Encode(ids, padding), padding).MoveToOuterDisposeScope();
    }

    internal Tensor LmHead(Tensor y)
    {
        Tensor w = shared.weight!;
        if (Config.Bf16 && w.dtype != ScalarType.BFloat16) w = w.to_type(ScalarType.BFloat16);
        if (y.dtype != w.dtype) y = y.to_type(w.dtype);
        return matmul(y.Times(Math.Pow(Config.DModel, -0.5)), w.t()); // [.., V]; the loss and beam scores cast to fp32
    }

    internal Tensor Embed(Tensor ids) => shared.call(ids);

    /// <summary>The tied embedding matrix [V, D] (the output layer's weights, before its d_model^-0.5).</summary>
    internal Tensor SharedWeight => shared.weight!;

    internal RmsNorm DecoderNorm => decoder_ln;

    /// <summary>The decoder's causal position bias of queries 0..n-1 against keys 0..n-1: [1, H, n, n] (no causal mask).</summary>
    internal Tensor DecoderBias(int n) => decoder_bias.Bias(n, n);

}
