using Letter.Data;
using Letter.IO;
using Letter.Runs;

namespace Letter.Training;

/// <summary>What the start-of-run checks read of a kind's run record (its config.json).</summary>
public interface IRunIndexRecord
{
    /// <summary>SHA-256 of the index the run was started with.</summary>
    string IndexSha256 { get; }
}

/// <summary>The checks every kind's training makes before it starts or resumes a run, worded once for all kinds.</summary>
public static class RunStart
{
    /// <summary>
    /// Refuses an index of another item count than the dataset's. Resuming (<see cref="TrainOptions.Resume"/>
    /// and a run record in <paramref name="run"/>): reads the record with <paramref name="readRecord"/> and
    /// refuses an index other than the one the run was started with. Starting: refuses a folder that
    /// already holds a run (its <paramref name="lastCheckpoint"/>, a file or a folder, exists) and an
    /// invalid <paramref name="config"/>.
    /// </summary>
    /// <returns>
    /// the resumed run's record (null when a new run starts: the caller then trains
    /// <paramref name="config"/>, else the record's) and the index's SHA-256 (of the file when given,
    /// else of its JSON), which the run records
    /// </returns>
    public static (TRecord? Resumed, string IndexSha256) Check<TRecord>(RunFolder run, string lastCheckpoint, Func<TRecord> readRecord,
        LetterDataset data, ItemIndex index, TrainingSchedule config, TrainOptions options) where TRecord : class, IRunIndexRecord
    {
        if (index.ItemCount != data.ItemCount)
            throw new LetterDataException(options.IndexFile ?? "index", null, $"has identifiers for {index.ItemCount} items, the dataset has {data.ItemCount}");
        string indexHash = options.IndexFile is not null ? FileHash.Sha256(options.IndexFile) : FileHash.Sha256Text(index.ToJson());
        var resumed = options.Resume && run.Exists ? readRecord() : null;
        if (resumed is not null)
        {
            if (resumed.IndexSha256 != indexHash)
                throw new LetterDataException(options.IndexFile ?? run.IndexFile, null,
                    $"differs from the index the run in {run.Directory} was started with (SHA-256 {resumed.IndexSha256[..Math.Min(12, resumed.IndexSha256.Length)]}...)");
        }
        else
        {
            if (run.Exists && Path.Exists(lastCheckpoint))
                throw new ArgumentException($"{run.Directory} already holds a run: resume it or choose another run folder");
            config.Validate();
        }
        return (resumed, indexHash);
    }
}
