using Letter.Formats;
using Letter.IO;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// A LLaMA model in a GGUF file (f32/f16/bf16 tensors): its config from the metadata, its tensors under
/// Hugging Face's names, and its embedded SentencePiece vocabulary.
/// </summary>
public static class GgufCheckpoint
{
    public static LlamaConfig ReadConfig(GgufFile f)
    {
        string arch = f.GetString("general.architecture");
        if (arch != "llama") throw new LetterDataException(f.Path, "general.architecture", $"is \"{arch}\"; Letter reads LLaMA GGUF files");
        int heads = (int)f.GetInt("llama.attention.head_count");
        int vocab = f.GetIntOrNull("llama.vocab_size") is long v ? (int)v
            : f.Tensors.TryGetValue("token_embd.weight", out var e) ? (int)e.Shape[0] : throw new LetterDataException(f.Path, null, "has no token_embd.weight");
        var config = new LlamaConfig
        {
            Architecture = LlmArchitecture.Llama,
            VocabSize = vocab,
            HiddenSize = (int)f.GetInt("llama.embedding_length"),
            IntermediateSize = (int)f.GetInt("llama.feed_forward_length"),
            NumHiddenLayers = (int)f.GetInt("llama.block_count"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = (int)(f.GetIntOrNull("llama.attention.head_count_kv") ?? heads),
            RmsNormEps = f.GetDouble("llama.attention.layer_norm_rms_epsilon", 1e-5),
            RopeTheta = f.GetDouble("llama.rope.freq_base", 10000),
            MaxPositionEmbeddings = (int)(f.GetIntOrNull("llama.context_length") ?? 2048),
            TieWordEmbeddings = !f.Tensors.ContainsKey("output.weight"),
            BosTokenId = (int)(f.GetIntOrNull("tokenizer.ggml.bos_token_id") ?? 1),
            EosTokenId = (int)(f.GetIntOrNull("tokenizer.ggml.eos_token_id") ?? 2),
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
        void Put(string gguf, string hf, int? permuteHeads = null)
        {
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
            Put($"blk.{l}.attn_output.weight", p + "self_attn.o_proj.weight");
            Put($"blk.{l}.ffn_gate.weight", p + "mlp.gate_proj.weight");
            Put($"blk.{l}.ffn_up.weight", p + "mlp.up_proj.weight");
            Put($"blk.{l}.ffn_down.weight", p + "mlp.down_proj.weight");
        }
        return result;
    }

    public static SentencePieceTokenizer ReadTokenizer(GgufFile f)
    {
        string model = f.Metadata.TryGetValue("tokenizer.ggml.model", out var m) ? (string)m : "llama";
        if (model != "llama") throw new LetterDataException(f.Path, "tokenizer.ggml.model", $"is \"{model}\"; Letter reads the SentencePiece-style (\"llama\") vocabulary of a GGUF file");
        var pieces = f.GetArray<string>("tokenizer.ggml.tokens");
        var scores = f.Metadata.ContainsKey("tokenizer.ggml.scores") ? f.GetArray<float>("tokenizer.ggml.scores") : new float[pieces.Length];
        var types = f.Metadata.ContainsKey("tokenizer.ggml.token_type") ? f.GetArray<int>("tokenizer.ggml.token_type") : null;
        if (scores.Length != pieces.Length || (types is not null && types.Length != pieces.Length))
            throw new LetterDataException(f.Path, "tokenizer.ggml.scores", $"has {scores.Length} scores for {pieces.Length} tokens");
        bool prefix = !f.Metadata.TryGetValue("tokenizer.ggml.add_space_prefix", out var asp) || asp is true;
        return new SentencePieceTokenizer(pieces, scores, types, (int)(f.GetIntOrNull("tokenizer.ggml.bos_token_id") ?? 1),
            (int)(f.GetIntOrNull("tokenizer.ggml.eos_token_id") ?? 2), prefix);
    }
}
