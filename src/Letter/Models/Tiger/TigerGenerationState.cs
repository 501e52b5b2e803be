using Letter.Common;
using System.Diagnostics;
using Letter.Generation;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Models.Tiger;

/// <summary>
/// The decoder's cache for one batch, built for few and large torch calls per step (a lone beam-20 step is
/// per-call overhead, not arithmetic): the encoder runs once per user, each layer's cross-attention keys/values
/// once per user (the beams of a user share them as extra query rows); the self-attention keys and values of all
/// layers live in one tensor grown by one position per step (one cat) and written in place, so following the chosen beams is one index_select;
/// the position bias of every step is sliced from one tensor made at the start; attention is
/// scaled_dot_product_attention with the bias as its mask; norms' scales and the query scaling are folded into
/// the products (<see cref="DecodingWeights"/>). The teacher-forced forward (training) is not used here and is
/// unchanged; the tests check this path against it.
/// </summary>
internal sealed class TigerGenerationState : IGenerationState, IProfiledGenerationState
{
    private readonly TigerModel _model;
    private readonly DecodingWeights _weights;
    private readonly Tensor[] _crossK, _crossV;   // [B, H, L, d_kv]
    private readonly Tensor? _crossMask;          // [B, 1, 1, L]: -inf at the pad positions of padded inputs, or null
    private readonly long _users;
    private readonly int _heads, _dkv, _inner, _layers;
    private readonly ScalarType _product;         // the dtype of products and attention
    private readonly bool _wasTraining;
    private Tensor _selfBias = null!;             // [1, H, capacity, capacity] in the product dtype
    private Tensor? _cache;                       // [layers, 2 (keys, values), rows, H, t, d_kv], contiguous
    private int _capacity;                        // positions of the bias table
    private int _step;

    /// <param name="ids">[B, L] int64 encoder input (right-padded when lengths differ)</param>
    public TigerGenerationState(TigerModel model, Tensor ids)
    {
        _model = model;
        // decoding runs without dropout; a model in training (validation between epochs) goes back to it when done
        _wasTraining = model.training;
        if (_wasTraining) model.eval(); // a model already in eval mode is not written: other lanes may be reading it
        var c = model.Config;
        _heads = c.Heads;
        _dkv = c.DKv;
        _inner = c.Heads * c.DKv;
        _users = ids.shape[0];
        var embedding = model.SharedWeight.dtype;
        _product = c.Bf16 || embedding == ScalarType.BFloat16 ? ScalarType.BFloat16 : embedding;
        _weights = new DecodingWeights(model, _product);
        var blocks = model.DecoderBlocks.ToArray();
        _layers = blocks.Length;
        using var scope = NewDisposeScope();
        var encoded = model.Encode(ids);
        _crossMask = TigerModel.PaddingBias(ids)?.to_type(_product).DetachFromDisposeScope();
        _crossK = blocks.Select(b => b.CrossAttention.ProjectKey(encoded).to_type(_product).DetachFromDisposeScope()).ToArray();
        _crossV = blocks.Select(b => b.CrossAttention.ProjectValue(encoded).to_type(_product).DetachFromDisposeScope()).ToArray();
        Grow(8);
    }

    public DecodeProfile? Profile { private get; set; }

    /// <summary>The position bias table for <paramref name="capacity"/> decoder positions.</summary>
    private void Grow(int capacity)
    {
        using var scope = NewDisposeScope();
        _selfBias?.Dispose();
        _selfBias = _model.DecoderBias(capacity).to_type(_product).contiguous().DetachFromDisposeScope();
        _capacity = capacity;
    }

    public Tensor NextLogits(Tensor? tokens)
    {
        using var scope = NewDisposeScope();
        long since = Stopwatch.GetTimestamp();
        var current = tokens ?? full(_users, TigerVocabulary.PadScalar, dtype: ScalarType.Int64, device: _model.Device);
        long rows = current.shape[0];
        int width = (int)(rows / _users);
        int t = _step;
        if (t == _capacity) Grow(_capacity + 8);
        // one position more for every layer's keys and values, written in place below
        var slot = empty([_layers, 2, rows, _heads, 1, _dkv], dtype: _product, device: current.device);
        if (_cache is not null && _cache.shape[2] != rows) throw new InvalidOperationException($"the cache holds {_cache.shape[2]} rows, the step has {rows}");
        var grown = _cache is null ? slot : cat([_cache, slot], 4);
        _cache?.Dispose();
        _cache = grown.DetachFromDisposeScope();
        var x = _weights.Embedding.index_select(0, current);                       // [rows, D], the residual stream
        var selfMask = _selfBias.narrow(2, t, 1).narrow(3, 0, t + 1);              // [1, H, 1, t + 1]
        since = Profile?.Add("decoder: embedding, position bias", since) ?? since;
        for (int l = 0; l < _layers; l++)
        {
            var w = _weights.Layers[l];
            // self-attention: one product for q, k, v; k and v written into the cache at position t
            var qkv = F.linear(Norm(x), w.Qkv).view(rows, 3, _heads, _dkv);
            var layer = _cache.select(0, l);                                        // [2, rows, H, t + 1, d_kv]
            layer.select(3, t).copy_(qkv.narrow(1, 1, 2).transpose(0, 1));
            var q = qkv.select(1, 0).unsqueeze(2);                                  // [rows, H, 1, d_kv]
            var attended = F.scaled_dot_product_attention(q, layer.select(0, 0), layer.select(0, 1), selfMask);
            x = AddProduct(x, attended.view(rows, _inner), w.SelfOutT);
            since = Profile?.Add("decoder: self-attention", since) ?? since;

            // cross-attention: the beams of a user are query rows against its keys once: [B, H, width, d_kv]
            var qc = F.linear(Norm(x), w.CrossQ).view(_users, width, _heads, _dkv).transpose(1, 2);
            attended = F.scaled_dot_product_attention(qc, _crossK[l], _crossV[l], _crossMask);
            x = AddProduct(x, attended.transpose(1, 2).reshape(rows, _inner), w.CrossOutT);
            since = Profile?.Add("decoder: cross-attention", since) ?? since;

            x = AddProduct(x, F.linear(Norm(x), w.Wi).relu_(), w.WoT);
            since = Profile?.Add("decoder: feed-forward", since) ?? since;
        }
        _step++;
        var logits = F.linear(Norm(x), _weights.Output);                            // [rows, V]
        if (logits.dtype != ScalarType.Float32) logits = logits.to_type(ScalarType.Float32);
        Profile?.Add("decoder: final norm, output layer", since);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>T5's RMS norm without its scale (folded into the next product): fp32 statistics, the result in the product dtype.</summary>
    private Tensor Norm(Tensor x)
    {
        var xf = x.dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32);
        var normed = xf * xf.Squared().mean([-1L], keepdim: true).add_(_weights.Epsilon, Letter.Common.TorchScalars.One).rsqrt_();
        return normed.dtype == _product ? normed : normed.to_type(_product);
    }

    /// <summary>x + a @ wT in x's dtype (one addmm when the product dtype is x's).</summary>
    private static Tensor AddProduct(Tensor x, Tensor a, Tensor wT) =>
        x.dtype == a.dtype ? x.addmm_(a, wT) : x.add_(a.mm(wT), Letter.Common.TorchScalars.One);

    public void Reorder(Tensor rows)
    {
        long since = Stopwatch.GetTimestamp();
        var kept = _cache!.index_select(2, rows).DetachFromDisposeScope();   // contiguous in, contiguous out
        _cache.Dispose();
        _cache = kept;
        Profile?.Add("reorder: key/value cache", since);
    }

    public void Dispose()
    {
        foreach (var t in _crossK.Concat(_crossV)) t.Dispose();
        _crossMask?.Dispose();
        _cache?.Dispose();
        _selfBias.Dispose();
        _weights.Dispose();
        if (_wasTraining) _model.train();
    }
}
