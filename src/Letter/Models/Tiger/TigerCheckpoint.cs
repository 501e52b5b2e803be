using System.Text.Json;
using Letter.IO;
using Letter.Training;
using TorchSharp.Modules;

namespace Letter.Models.Tiger;

/// <summary>
/// A checkpoint file: a magic line, the trainer state as JSON, the model parameters and (in "last"
/// checkpoints) the optimizer state, written atomically (temp file + rename).
/// </summary>
public static class TigerCheckpoint
{
    private const string Magic = "letter-tiger-checkpoint-v1";

    public static void Save(string path, TigerModel model, TrainerState state, OptimizerHelper? optimizer)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(JsonSerializer.Serialize(state, TigerRunFolder.Json));
            w.Write(optimizer is not null);
            model.save(w);
            optimizer?.save_state_dict(w);
        });
    }

    /// <summary>Loads parameters into <paramref name="model"/> (and the optimizer state when both are present).</summary>
    public static TrainerState Load(string path, TigerModel model, OptimizerHelper? optimizer = null)
    {
        if (!File.Exists(path)) throw new LetterDataException(path, null, "is missing");
        try
        {
            using var s = File.OpenRead(path);
            using var r = new BinaryReader(s);
            if (r.ReadString() != Magic) throw new LetterDataException(path, null, "is not a TIGER checkpoint");
            var state = LetterJson.Deserialize<TrainerState>(r.ReadString())!;
            bool hasOptimizer = r.ReadBoolean();
            model.load(r);
            if (optimizer is not null)
            {
                if (!hasOptimizer) throw new LetterDataException(path, null, "holds no optimizer state");
                try
                {
                    optimizer.load_state_dict(r);
                }
                catch (ArgumentException e)
                {
                    // checkpoints written before the optimizer was split into decayed and undecayed groups hold one group
                    throw new LetterDataException(path, null, $"holds optimizer state that does not fit this Letter's AdamW ({e.Message}); " +
                        "a run started by a Letter older than its two weight-decay groups resumes only with that Letter");
                }
            }
            return state;
        }
        catch (EndOfStreamException)
        {
            throw new LetterDataException(path, null, "is truncated");
        }
        catch (Exception e) when (e is FormatException or JsonException or IOException or ArgumentException or OverflowException
                                      or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
        {
            // a damaged file can fail anywhere in the readers below us: name the file, not the reader
            throw new LetterDataException(path, null, $"is damaged: {e.Message.Split('\n')[0].Trim()}", e);
        }
    }
}
