using Letter.Data;
using Letter.Generation;
using Letter.Models.Tiger;
using Letter.Runs;

namespace Letter.Tests.Models.Tiger;

/// <summary>What a host relies on: a run folder that loads alone, and Recommend from many threads at once.</summary>
public class HostedRecommenderTests
{
    [Fact]
    public void A_run_folder_moved_away_from_its_dataset_loads_and_recommends_as_before()
    {
        using var tmp = new TempDir();
        var dataDir = TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 40, items: 12, length: 6);
        File.WriteAllText(Path.Combine(dataDir, "Rule.item.json"),
            "{" + string.Join(", ", Enumerable.Range(0, 12).Select(i => $"\"{i}\": {{\"title\": \"Guitar {i}\"}}")) + "}");
        var data = LetterDataset.Load(dataDir);
        var run = tmp.File("run");
        TigerTrainer.Train(data, data.Index!, TinyTiger.Config() with { Epochs = 1 }, run, options: new TigerTrainOptions { StopAfterSteps = 2 });
        int[][] histories = [[1, 2, 3], [7], [4, 4, 9, 10]];
        List<IReadOnlyList<Recommendation>> Recommend(string dir)
        {
            using var r = TigerRecommender.Load(dir, CheckpointChoice.Last);
            return histories.Select(h => r.Recommend(h, 5)).ToList();
        }
        var before = Recommend(run);
        var popularity = LeaveOneOutSplit.TrainingPopularity(data.Users, data.ItemCount);

        var moved = tmp.File("elsewhere");
        Directory.Move(run, moved);
        Directory.Delete(dataDir, recursive: true);
        var folder = new TigerRunFolder(moved);
        Assert.Equal(popularity, folder.ReadPopularity(folder.ReadInfo()));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"Guitar {i}"), folder.ReadTitles());
        var after = Recommend(moved);
        for (int h = 0; h < histories.Length; h++)
        {
            Assert.Equal(before[h].Select(r => r.Items), after[h].Select(r => r.Items));
            Assert.Equal(before[h].Select(r => r.Score), after[h].Select(r => r.Score));
        }
    }

    [Fact]
    public void Recommend_called_from_many_threads_at_once_gives_the_sequential_results()
    {
        var index = new ItemIndex(Enumerable.Range(0, 27).Select(x => new[] { x / 9, (x / 3) % 3, x % 3 }).ToArray());
        TorchSharp.torch.manual_seed(21);
        var model = new TigerModel(TinyTiger.Config() with { Dropout = 0 }, TigerVocabulary.For(index).Size);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], beam: 8, ownsModel: true);
        var rng = new Letter.Common.SplitMix64(4);
        var histories = Enumerable.Range(0, 24).Select(_ => Enumerable.Range(0, 1 + rng.Next(5)).Select(_ => rng.Next(27)).ToArray()).ToList();
        var sequential = histories.Select(h => recommender.Recommend(h, 5, new RecommendOptions(ExcludeHistory: true))).ToList();

        var concurrent = new IReadOnlyList<Recommendation>[histories.Count];
        Parallel.For(0, histories.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => concurrent[i] = recommender.Recommend(histories[i], 5, new RecommendOptions(ExcludeHistory: true)));
        for (int i = 0; i < histories.Count; i++)
        {
            Assert.Equal(5, concurrent[i].Count);
            Assert.Equal(sequential[i].Select(r => string.Concat(r.Identifier)), concurrent[i].Select(r => string.Concat(r.Identifier)));
            Assert.Equal(sequential[i].Select(r => r.Score), concurrent[i].Select(r => r.Score));
            Assert.DoesNotContain(concurrent[i].SelectMany(r => r.Items), histories[i].Contains);
        }
    }
}
