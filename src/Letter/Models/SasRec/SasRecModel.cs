using Letter.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.SasRec;

/// <summary>
/// SASRec: item embeddings (index 0 is padding, item i is index i + 1) scaled by sqrt(d) plus learned
/// positions, causal self-attention blocks, a final layer norm. The score of item j after position t
/// is the dot product of the hidden state with item j's embedding (shared input/output embeddings).
/// Sequences are left-padded; position ids count from the right so the newest item always has id
/// MaxLen - 1, whatever length the batch is padded to.
/// </summary>
public sealed class SasRecModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding item_embedding;
    private readonly Embedding position_embedding;
    private readonly Dropout embedding_dropout;
    private readonly ModuleList<SasRecBlock> blocks;
    private readonly LayerNorm final_norm;
    private readonly int _maxLen;
    private readonly int _dim;

    /// <param name="device">where the model lives: built and initialised on the CPU (a seed gives the same weights on every device), then moved there</param>
    public SasRecModel(int itemCount, SasRecConfig config, ComputeDevice device = default) : base(nameof(SasRecModel))
    {
        config.Validate();
        ItemCount = itemCount;
        _maxLen = config.MaxLen;
        _dim = config.Dim;
        item_embedding = nn.Embedding(itemCount + 1, config.Dim, padding_idx: 0, device: CPU);
        position_embedding = nn.Embedding(config.MaxLen, config.Dim, device: CPU);
        embedding_dropout = nn.Dropout(config.Dropout);
        blocks = new ModuleList<SasRecBlock>();
        for (int i = 0; i < config.Blocks; i++) blocks.Add(new SasRecBlock(config.Dim, config.Heads, config.Dropout));
        final_norm = nn.LayerNorm(config.Dim, eps: 1e-8, device: CPU);
        RegisterComponents();
        // The authors' initialisation: Xavier-uniform for weight matrices, biases and norms as constructed.
        using (no_grad())
        {
            foreach (var (name, p) in named_parameters())
                if (p.dim() >= 2 && !name.EndsWith("bias")) nn.init.xavier_uniform_(p);
            item_embedding.weight![0].zero_();
        }
        this.to(device.ToTorch());
    }

    public int ItemCount { get; }

    /// <summary>Where the weights live: inputs go here.</summary>
    public Device Device => item_embedding.weight!.device;

    /// <summary>The output item embeddings [items, d]: row i = item i, the padding row left out.</summary>
    public Tensor ItemWeights => item_embedding.weight!.narrow(0, 1, ItemCount);

    /// <param name="sequence">[B, L] int64, 0 = padding, item i stored as i + 1, left-padded, L &lt;= MaxLen</param>
    /// <returns>hidden states [B, L, d]</returns>
    public override Tensor forward(Tensor sequence)
    {
        long b = sequence.shape[0], l = sequence.shape[1];
        if (l > _maxLen) throw new ArgumentException($"sequence length {l} exceeds the maximum {_maxLen}");
        var realMask = sequence.ne(TorchScalars.Zero);                                                // [B, L]
        var positions = KeptScalarMath.Range(_maxLen - l, _maxLen, ScalarType.Int64, sequence.device);
        var x = item_embedding.call(sequence).Times(Math.Sqrt(_dim)).Plus(position_embedding.call(positions).unsqueeze(0));
        var real = realMask.unsqueeze(-1).to_type(x.dtype);                           // [B, L, 1]
        x = embedding_dropout.call(x) * real;
        var causal = ones(l, l, dtype: ScalarType.Bool, device: sequence.device).tril();
        var self = eye(l, dtype: ScalarType.Bool, device: sequence.device);
        var allowed = causal.unsqueeze(0).logical_and(realMask.unsqueeze(1).logical_or(self.unsqueeze(0))).unsqueeze(1); // [B, 1, L, L]
        foreach (var block in blocks) x = block.call(x, allowed, real);
        return final_norm.call(x);
    }

    /// <summary>Scores of every item for hidden states [M, d]: [M, items].</summary>
    public Tensor Score(Tensor hidden) => hidden.matmul(ItemWeights.t());
}
