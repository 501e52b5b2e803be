// A runnable tour of Letter's public API, as a program that hosts the library would use it:
// train a small LETTER run (text embeddings -> tokenizer -> TIGER), open the run folder alone,
// recommend for a history without the items already in it, and give new items identifiers.
//
//   dotnet run --project samples/Letter.Sample -c Release [-- RUN_FOLDER]
//
// With a run folder of 'letter run' it skips the training and uses that run.
using Letter.Common;
using Letter.Data;
using Letter.Data.Synthetic;
using Letter.Generation;
using Letter.Embeddings;
using Letter.Models.Tiger;
using Letter.Tokenization;

// The host, not the library, decides process-wide settings: libtorch's threads and kernels.
LetterRuntime.Apply(new RuntimeOptions(Threads: 2));

string run = args.Length > 0 ? args[0] : TrainSmallRun(Path.Combine(Path.GetTempPath(), "letter-sample"));
string model = Path.Combine(run, "tiger"), tokenizer = Path.Combine(run, "tokenizer");

// 1. Open the run folder: it holds everything the recommender needs (no dataset).
using var recommender = TigerRecommender.Load(model);
var titles = new TigerRunFolder(model).ReadTitles();
string Title(int item) => titles?[item] ?? $"item {item}";
Console.WriteLine($"opened {model}: {recommender.Catalog.ItemCount} items, {recommender.Catalog.IdentifierCount} identifiers, beam {recommender.Beam}");

// 2. Recommend for a history (oldest first), leaving out what the user already has.
int[] history = [3, 17, 4];
Console.WriteLine($"history: {string.Join("; ", history.Select(Title))}");
var recommendations = recommender.Recommend(history, k: 5, new RecommendOptions(ExcludeHistory: true));
foreach (var r in recommendations)
    Console.WriteLine($"  {r.Score,8:F3}  {string.Concat(r.Identifier),-24}  {string.Join(", ", r.Items.Select(Title))}");
if (recommendations.Count != 5 || recommendations.SelectMany(r => r.Items).Any(history.Contains))
    throw new InvalidOperationException("expected 5 recommendations, none from the history");

// 3. Identifiers for new items from their embeddings, distinct from every existing identifier.
string[] newItems = ["Acoustic guitar strings, phosphor bronze, light gauge", "Studio monitor headphones, closed back"];
using var encoder = new BertEncoder(new TextEmbedderOptions());
var codes = TokenizerPipeline.AssignNew(tokenizer, encoder.Encode(newItems));
var index = recommender.Catalog.Index;
for (int i = 0; i < newItems.Length; i++)
{
    var identifier = string.Concat(codes[i].Select((c, l) => index.Token(l, c)));
    bool taken = Enumerable.Range(0, index.ItemCount).Any(item => index.Codes[item].SequenceEqual(codes[i]));
    Console.WriteLine($"new item \"{newItems[i]}\" -> {identifier}{(taken ? " (shared!)" : "")}");
    if (taken) throw new InvalidOperationException("a new item's identifier must be distinct from the catalogue's");
}
return 0;

// A run in the layout of 'letter run' (tokenizer/ and tiger/ beside each other), sized to train in about a minute.
static string TrainSmallRun(string root)
{
    if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    var folder = SyntheticDataset.Write(Path.Combine(root, "data"), new SynthOptions(Users: 300, Items: 80));
    var data = LetterDataset.Load(folder, loadIndex: false);
    var progress = new Letter.Progress.ProgressCallback<Letter.Progress.ProgressUpdate>(u =>
    {
        if (u.State != Letter.Progress.ProgressState.Running) Console.WriteLine($"{u.Task}: {u.State.ToString().ToLowerInvariant()} {u.Status}");
    });
    var semantic = TextEmbedder.EmbedDataset(data, new TextEmbedderOptions(), null, progress: progress).Embeddings;
    var config = new TokenizerConfig
    {
        HiddenLayers = [64, 32], LatentDim = 16, CodebookSizes = [8, 8, 8], Alpha = 0, Beta = 0, BatchSize = 80,
        MaxEpochs = 40, MinEpochs = 20, KMeansRestarts = 2, SinkhornEpsilons = [0, 0, 0.003], Threads = 2,
    };
    var tokenizerDir = Path.Combine(root, "run", "tokenizer");
    TokenizerPipeline.Run(semantic, null, config, tokenizerDir, data.Name, [], progress);
    var index = ItemIndexReader.Read(Path.Combine(tokenizerDir, $"{data.Name}.index.json"));
    var tiger = new TigerConfig { DModel = 32, DFf = 64, DKv = 8, Heads = 2, EncoderLayers = 2, DecoderLayers = 2, Epochs = 3, BatchSize = 64, ValidationUsers = 0 };
    TigerTrainer.Train(data, index, tiger, Path.Combine(root, "run", "tiger"), options: new TigerTrainOptions { Progress = progress });
    return Path.Combine(root, "run");
}
