using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Letter.Data;
using Letter.Formats;
using Letter.IO;
using Letter.Models.Tiger;
using Letter.Service;
using Letter.Tests.Models.Tiger;
using Letter.Tests.Tokenization;
using Letter.Tokenization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Letter.Tests.Service;

/// <summary>
/// Tiny pipeline runs, trained once for all service tests (a few seconds): a LETTER tokenizer over random
/// 6-dimensional embeddings of 24 items (3 levels x 4 codes), and TIGER trained on the planted
/// next-item rule with that tokenizer's index, laid out as 'letter run' does (tiger/ and tokenizer/).
/// A second model (another seed) stands for a new run swapped in by a reload.
/// </summary>
public sealed class ServedRuns : IDisposable
{
    public const int Items = 24;
    public const int EmbeddingDim = 6;
    private readonly TempDir _tmp = new();

    public ServedRuns()
    {
        var run = Path.Combine(_tmp.Path, "run");
        var tokenizerDir = Path.Combine(run, "tokenizer");
        var semantic = TinyTokenizer.Random(Items, EmbeddingDim, 3);
        var config = TinyTokenizer.Config with { CodebookSizes = [4, 4, 4], SinkhornEpsilons = [0, 0, 0.003], Alpha = 0, Beta = 0 };
        var semanticFile = Path.Combine(_tmp.Path, "semantic.npy");
        NpyFile.Write(semanticFile, semantic);
        Semantic = semantic;
        TokenizerPipeline.Run(semantic, null, config, tokenizerDir, "Rule", [InputRecord.Of("semantic", semanticFile, semantic)]);
        var indexFile = Path.Combine(tokenizerDir, "Rule.index.json");
        var index = ItemIndexReader.Read(indexFile);

        DataDirectory = Path.Combine(_tmp.Path, "data");
        Directory.CreateDirectory(DataDirectory);
        TinyTiger.WriteRuleDataset(DataDirectory, users: 60, items: Items, length: 7);
        File.Copy(indexFile, Path.Combine(DataDirectory, "Rule.index.json"), overwrite: true);
        var data = LetterDataset.Load(DataDirectory, loadIndex: false);
        var tiger = TinyTiger.Config() with { Epochs = 4, LearningRate = 3e-3, MaxHistory = 3, Dropout = 0, Beam = 5, ValidationUsers = 0, Patience = 10 };
        TigerTrainer.Train(data, index, tiger, Path.Combine(run, "tiger"), options: new TigerTrainOptions { IndexFile = indexFile });
        Run = run;

        SecondModel = Path.Combine(_tmp.Path, "second");
        TigerTrainer.Train(data, index, tiger with { Seed = 2, Epochs = 2 }, SecondModel, options: new TigerTrainOptions { IndexFile = indexFile });
    }

    private Lazy<string>? _textRun;

    /// <summary>
    /// A pipeline run that embedded its item text with the built-in encoder (embed/), trained its tokenizer on
    /// those embeddings and TIGER on that index: new items may come as text. Built on first use.
    /// </summary>
    public string TextRun => (_textRun ??= new Lazy<string>(BuildTextRun)).Value;

    private string BuildTextRun()
    {
        var run = Path.Combine(_tmp.Path, "textrun");
        var dataDir = Path.Combine(_tmp.Path, "textdata");
        Directory.CreateDirectory(dataDir);
        Letter.Tests.Embeddings.TinyTextDataset.Write(dataDir, "Rule", items: Items);
        var data = LetterDataset.Load(dataDir, loadIndex: false);
        var embedFile = Path.Combine(run, "embed", "Rule.emb.npy");
        Directory.CreateDirectory(Path.GetDirectoryName(embedFile)!);
        var semantic = Letter.Embeddings.TextEmbedder.EmbedDataset(data, new Letter.Embeddings.TextEmbedderOptions(), embedFile).Embeddings;
        var tokenizerDir = Path.Combine(run, "tokenizer");
        var config = TinyTokenizer.Config with { CodebookSizes = [4, 4, 4], SinkhornEpsilons = [0, 0, 0.003], Alpha = 0, Beta = 0 };
        TokenizerPipeline.Run(semantic, null, config, tokenizerDir, "Rule", [InputRecord.Of("semantic", embedFile, semantic)]);
        var indexFile = Path.Combine(tokenizerDir, "Rule.index.json");
        var tiger = TinyTiger.Config() with { Epochs = 2, MaxHistory = 3, Dropout = 0, Beam = 5, ValidationUsers = 0 };
        TigerTrainer.Train(data, ItemIndexReader.Read(indexFile), tiger, Path.Combine(run, "tiger"), options: new TigerTrainOptions { IndexFile = indexFile });
        return run;
    }

    /// <summary>The trained pipeline run: tiger/ and tokenizer/. Copy it (<see cref="Copy"/>) before changing it.</summary>
    public string Run { get; }
    public string DataDirectory { get; }
    /// <summary>The embeddings the tokenizer was trained on (row i = item i).</summary>
    public FloatMatrix Semantic { get; }
    /// <summary>Another trained model folder ('letter train' layout) on the same index.</summary>
    public string SecondModel { get; }

    /// <summary>A fresh copy of the run (or only its model folder: a 'letter train' folder, no tokenizer).</summary>
    public string Copy(TempDir into, bool modelOnly = false)
    {
        var target = into.File(modelOnly ? "model" : "run");
        CopyDirectory(modelOnly ? Path.Combine(Run, "tiger") : Run, target);
        return target;
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    public void Dispose() => _tmp.Dispose();
}

[CollectionDefinition("served runs")]
public sealed class ServedRunsCollection : ICollectionFixture<ServedRuns>;

/// <summary>A server in process (TestServer) or on a loopback port, ready to answer.</summary>
public sealed class TestServing : IAsyncDisposable
{
    private TestServing(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public ModelHost Host => App.Services.GetRequiredService<ModelHost>();

    public static async Task<TestServing> Start(string run, Func<ServeOptions, ServeOptions>? change = null, bool loopback = false, bool waitReady = true)
    {
        // the answer cache off unless a test asks for it: most tests repeat requests to watch decoding, batching and reloads
        var options = new ServeOptions { RunDirectory = run, Urls = "http://127.0.0.1:0", Threads = 2, AnswerCacheEntries = 0 };
        if (change is not null) options = change(options);
        var app = LetterServer.Build(options, b =>
        {
            if (!loopback) b.WebHost.UseTestServer();
        });
        await app.StartAsync();
        HttpClient client;
        if (loopback)
        {
            var address = app.Urls.First();
            client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        }
        else client = app.GetTestClient();
        var serving = new TestServing(app, client);
        if (waitReady) await serving.WaitReady();
        return serving;
    }

    public async Task WaitReady()
    {
        await Host.StartLoading().WaitAsync(TimeSpan.FromSeconds(120));
        var ready = await Client.GetAsync("/health/ready");
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
    }

    public Task<HttpResponseMessage> Post(string path, string json, CancellationToken cancel = default) =>
        Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), cancel);

    public async Task<JsonElement> PostOk(string path, string json)
    {
        var response = await Post(path, json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path} {json}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> GetJson(string path)
    {
        var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>A refusal's status and its problem-details field, value and detail: POST <paramref name="json"/>, or GET when it is null.</summary>
    public async Task<(int Status, string? Field, string? Value, string? Detail)> Refusal(string path, string? json = null)
    {
        var response = json is null ? await Client.GetAsync(path) : await Post(path, json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{path}: {(int)response.StatusCode} {text}");
        var p = JsonDocument.Parse(text).RootElement;
        string? Text(string name) => p.TryGetProperty(name, out var v) ? v.GetString() : null;
        return ((int)response.StatusCode, Text("field"), Text("value"), Text("detail"));
    }

    public static int[] ItemIds(JsonElement recommendation) =>
        recommendation.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetInt32()).ToArray();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
