using Letter.Common;
using Letter.Formats;
using Letter.IO;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// A LLaMA or Qwen2 model in a GGUF file (f32/f16/bf16 tensors): its config from the metadata, its tensors under
/// Hugging Face's names, and its embedded vocabulary.
/// </summary>
public static class GgufCheckpoint
{
    public static LlamaConfig ReadConfig(GgufFile f)
    {
        string arch = f.GetString("general.architecture");
        var kind = arch switch
        {
            "llama" => LlmArchitecture.Llama,
            "qwen2" => LlmArchitecture.Qwen2,
            _ => throw new LetterDataException(f.Path, "general.architecture", $"is \"{arch}\"; Letter reads the GGUF architectures llama and qwen2"),
        };
        if (f.Tensors.ContainsKey("rope_freqs.weight"))
            throw new LetterDataException(f.Path, "tensor \"rope_freqs.weight\"", "carries rotary scaling factors (LLaMA 3.1's rope scaling), which Letter does not implement");
        if (f.Metadata.TryGetValue($"{arch}.rope.scaling.type", out var scalingType) && scalingType is string st && st != "none")
            throw new LetterDataException(f.Path, $"{arch}.rope.scaling.type", $"is \"{st}\"; Letter does not implement rotary scaling");
        int heads = f.GetInt32($"{arch}.attention.head_count");
        int vocab = f.GetInt32OrNull($"{arch}.vocab_size") is int v ? v
            : f.Tensors.TryGetValue("token_embd.weight", out var e) ? (int)e.Shape[0] : throw new LetterDataException(f.Path, null, "has no token_embd.weight");
        var config = new LlamaConfig
        {
            Architecture = kind,
            AttentionBias = kind == LlmArchitecture.Qwen2,
            VocabSize = vocab,
            HiddenSize = f.GetInt32($"{arch}.embedding_length"),
            IntermediateSize = f.GetInt32($"{arch}.feed_forward_length"),
            NumHiddenLayers = f.GetInt32($"{arch}.block_count"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = (f.GetInt32OrNull($"{arch}.attention.head_count_kv") ?? heads),
            RmsNormEps = f.GetDouble($"{arch}.attention.layer_norm_rms_epsilon", 1e-5),
            RopeTheta = f.GetDouble($"{arch}.rope.freq_base", 10000),
            MaxPositionEmbeddings = (f.GetInt32OrNull($"{arch}.context_length") ?? 2048),
            TieWordEmbeddings = !f.Tensors.ContainsKey("output.weight"),
            BosTokenId = (f.GetInt32OrNull("tokenizer.ggml.bos_token_id") ?? 1),
            EosTokenId = (f.GetInt32OrNull("tokenizer.ggml.eos_token_id") ?? 2),
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new LetterDataException(f.Path, null, ex.Message);
        }
        return config;
    }

    /// <summary>
    /// The tensors under Hugging Face's names, float32. attn_q / attn_k rows are permuted from Meta's
    /// interleaved rotary order (as llama.cpp stores them) to rotate_half's: per head, the even rows
    /// then the odd rows (transformers' convert_llama_weights_to_hf.py permute).
    /// </summary>
    public static Dictionary<string, Tensor> ReadTensors(GgufFile f, LlamaConfig c)
    {
        var result = new Dictionary<string, Tensor>();
        // llama.cpp's converter interleaves LLaMA's q/k rows (Meta's rotary order); Qwen2's it leaves in rotate_half's
        bool interleaved = c.Architecture == LlmArchitecture.Llama;
        void Put(string gguf, string hf, int? permuteHeads = null)
        {
            if (!interleaved) permuteHeads = null;
            var info = f.Tensors.TryGetValue(gguf, out var i) ? i : throw new LetterDataException(f.Path, null, $"has no tensor {gguf}");
            if (permuteHeads is int heads && (info.Shape.Length != 2 || info.Shape[0] != (long)heads * c.Dh))
                throw new LetterDataException(f.Path, $"tensor {gguf}", $"has shape [{string.Join(", ", info.Shape)}]; the config's {heads} heads of {c.Dh} need {heads * c.Dh} rows");
            var t = f.ReadTensor(gguf);
            if (permuteHeads is int h)
            {
                long rows = t.shape[0], cols = t.shape[1];
                t = t.view(h, rows / h / 2, 2, cols).transpose(1, 2).reshape(rows, cols).contiguous(); // [H, Dh/2, 2, in] -> [H, 2, Dh/2, in]
            }
            result[hf] = t;
        }
        Put("token_embd.weight", "model.embed_tokens.weight");
        Put("output_norm.weight", "model.norm.weight");
        if (!c.TieWordEmbeddings) Put("output.weight", "lm_head.weight");
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            Put($"blk.{l}.attn_norm.weight", p + "input_layernorm.weight");
            Put($"blk.{l}.ffn_norm.weight", p + "post_attention_layernorm.weight");
            Put($"blk.{l}.attn_q.weight", p + "self_attn.q_proj.weight", c.NumAttentionHeads);
            Put($"blk.{l}.attn_k.weight", p + "self_attn.k_proj.weight", c.NumKeyValueHeads);
            Put($"blk.{l}.attn_v.weight", p + "self_attn.v_proj.weight");
            if (c.AttentionBias)
            {
                Put($"blk.{l}.attn_q.bias", p + "self_attn.q_proj.bias");
                Put($"blk.{l}.attn_k.bias", p + "self_attn.k_proj.bias");
                Put($"blk.{l}.attn_v.bias", p + "self_attn.v_proj.bias");
            }
            Put($"blk.{l}.attn_output.weight", p + "self_attn.o_proj.weight");
            Put($"blk.{l}.ffn_gate.weight", p + "mlp.gate_proj.weight");
            Put($"blk.{l}.ffn_up.weight", p + "mlp.up_proj.weight");
            Put($"blk.{l}.ffn_down.weight", p + "mlp.down_proj.weight");
        }
        return result;
    }

    /// <summary>
    /// The vocabulary embedded in the file: "llama" (SentencePiece-style, scores) or "gpt2" (byte-level
    /// BPE with merges, as LLaMA 3, Qwen and SmolLM GGUF files carry it); any other is refused by name.
    /// </summary>
    public static LlmTokenizer ReadTokenizer(GgufFile f)
    {
        string model = f.Metadata.TryGetValue("tokenizer.ggml.model", out var m) ? m as string ?? "" : "llama";
        var pieces = f.GetArray<string>("tokenizer.ggml.tokens");
        var types = f.Metadata.ContainsKey("tokenizer.ggml.token_type") ? f.GetArray<int>("tokenizer.ggml.token_type") : null;
        if (types is not null && types.Length != pieces.Length)
            throw new LetterDataException(f.Path, "tokenizer.ggml.token_type", $"has {types.Length} types for {pieces.Length} tokens");
        bool addBos = f.Metadata.TryGetValue("tokenizer.ggml.add_bos_token", out var ab) ? ab is true : model == "llama";
        bool addEos = f.Metadata.TryGetValue("tokenizer.ggml.add_eos_token", out var ae) && ae is true;
        int bos = (f.GetInt32OrNull("tokenizer.ggml.bos_token_id") ?? 1), eos = (f.GetInt32OrNull("tokenizer.ggml.eos_token_id") ?? 2);
        switch (model)
        {
            case "llama":
            {
                var scores = f.Metadata.ContainsKey("tokenizer.ggml.scores") ? f.GetArray<float>("tokenizer.ggml.scores") : new float[pieces.Length];
                if (scores.Length != pieces.Length)
                    throw new LetterDataException(f.Path, "tokenizer.ggml.scores", $"has {scores.Length} scores for {pieces.Length} tokens");
                bool prefix = !f.Metadata.TryGetValue("tokenizer.ggml.add_space_prefix", out var asp) || asp is true;
                return new SentencePieceTokenizer(pieces, scores, types, bos, eos, prefix, addBos, addEos);
            }
            case "gpt2":
                return GgufByteLevelVocabulary.Read(f, pieces, types, bos, eos, addBos, addEos);
            default:
                throw new LetterDataException(f.Path, "tokenizer.ggml.model", $"is \"{model}\"; Letter reads the GGUF vocabularies \"llama\" (SentencePiece-style) and \"gpt2\" (byte-level BPE)");
        }
    }
}
