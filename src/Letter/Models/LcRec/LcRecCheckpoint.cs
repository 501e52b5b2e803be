using System.Text.Json;
using Letter.IO;
using Letter.Training;
using TorchSharp.Modules;

namespace Letter.Models.LcRec;

/// <summary>
/// A checkpoint folder of an LC-Rec run: the adapter in PEFT's layout (adapter_config.json,
/// adapter_model.safetensors: LoRA matrices plus the embedding and head), the tokenizer with the
/// identifier tokens (tokenizer.json, tokenizer_config.json; Hugging Face bases), trainer-state.json and, in
/// "last" checkpoints, optimizer.bin. Written to a temporary folder, then swapped in, so a crash
/// leaves the previous checkpoint whole.
/// </summary>
public static class LcRecCheckpoint
{
    public const string StateFile = "trainer-state.json";
    public const string OptimizerFile = "optimizer.bin";

    public static void Save(string folder, LcRecModel model, LoraConfig lora, string? baseModel, TrainerState state, OptimizerHelper? optimizer)
    {
        var full = Path.GetFullPath(folder);
        var temp = full + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        LoraAdapters.Save(temp, model.Model, lora, baseModel);
        // tokenizer.json / tokenizer_config.json with the identifier tokens, so AutoTokenizer gives PEFT the same ids (a GGUF base has none to write)
        model.Tokenizer.TrySaveHuggingFace(temp);
        File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, LetterJson.Options));
        if (optimizer is not null)
        {
            using var s = File.Create(Path.Combine(temp, OptimizerFile));
            using var w = new BinaryWriter(s);
            optimizer.save_state_dict(w);
        }
        var old = full + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(full)) Directory.Move(full, old);
        Directory.Move(temp, full);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>Loads the adapter into a model that carries adapters of the run's config; the optimizer state when asked.</summary>
    public static TrainerState Load(string folder, LcRecModel model, OptimizerHelper? optimizer = null)
    {
        if (!Directory.Exists(folder)) throw new LetterDataException(folder, null, "is missing");
        var statePath = Path.Combine(folder, StateFile);
        if (!File.Exists(statePath)) throw new LetterDataException(statePath, null, "is missing: the checkpoint is incomplete");
        LoraAdapters.CheckAgrees(folder, model.Model);
        LoraAdapters.LoadWeights(folder, model.Model);
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), LetterJson.Options)
                    ?? throw new LetterDataException(statePath, null, "is empty");
        if (optimizer is not null)
        {
            var path = Path.Combine(folder, OptimizerFile);
            if (!File.Exists(path)) throw new LetterDataException(path, null, "is missing: this checkpoint holds no optimizer state");
            using var s = File.OpenRead(path);
            using var r = new BinaryReader(s);
            try
            {
                optimizer.load_state_dict(r);
            }
            catch (Exception e) when (e is EndOfStreamException or ArgumentException)
            {
                throw new LetterDataException(path, null, $"does not hold this run's optimizer state ({e.Message})");
            }
        }
        return state;
    }
}
