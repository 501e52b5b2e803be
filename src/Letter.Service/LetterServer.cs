using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Letter.Generation;
using Letter.IO;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Scalar.AspNetCore;

namespace Letter.Service;

/// <summary>
/// <c>letter serve</c>: a run's recommender behind HTTP (ASP.NET Core minimal APIs). The host owns the
/// process settings (torch threads, libtorch's memory and kernels); the library only decodes.
/// </summary>
public static partial class LetterServer
{
    /// <summary>Builds the application; <paramref name="configure"/> may change the builder (tests: an in-process server).</summary>
    public static WebApplication Build(ServeOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        options.Validate();
        PrepareProcess(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes + 1L; // we refuse past the limit ourselves, with a 400 that says so
            k.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownSeconds));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddHostedService<InitialLoad>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Letter recommendations";
            doc.Info.Description = "Generative recommendation (TIGER over LETTER identifiers) decoded by constrained beam search. " +
                "Refusals are problem-details bodies whose 'field' and 'value' name what was wrong.";
            return Task.CompletedTask;
        }));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Letter.Service", LogLevel.Information);
        configure?.Invoke(builder);

        var app = builder.Build();
        var metrics = app.Services.GetRequiredService<ServiceMetrics>();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = _ => StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.Use(async (ctx, next) =>
        {
            long start = Stopwatch.GetTimestamp();
            try { await next(ctx); }
            finally
            {
                var endpoint = (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
                int status = ctx.RequestAborted.IsCancellationRequested && !ctx.Response.HasStarted ? 499 : ctx.Response.StatusCode;
                metrics.Request(endpoint, status, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        });
        Map(app);
        return app;
    }

    private static int _prepared;

    /// <summary>
    /// Process settings a host owns, applied once before libtorch loads: OpenMP threads that sleep when idle
    /// instead of spinning (a server shares its cores with its HTTP threads and, often, other programs:
    /// measured on a shared 2-core machine, spinning cost 10x in throughput; an OMP_WAIT_POLICY already set wins),
    /// libtorch's memory and kernels, and the torch threads.
    /// </summary>
    public static void PrepareProcess(ServeOptions options)
    {
        if (Interlocked.Exchange(ref _prepared, 1) == 0)
        {
            if (OperatingSystem.IsLinux())
            {
                try { setenv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0); }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
            }
        }
        Letter.Common.LetterRuntime.Apply(new Letter.Common.RuntimeOptions(options.Threads, Fp32Products: !options.Bf16));
    }

    // .NET's Environment.SetEnvironmentVariable does not reach the native environment libgomp reads
    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "setenv")]
    private static extern int setenv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPStr)] string name,
        [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPStr)] string value, int overwrite);

    private static void Map(WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Letter recommendations").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        app.MapGet("/", () => Results.Redirect("/docs/v1")).ExcludeFromDescription();

        var v1 = app.MapGroup("/v1").WithTags("recommend");
        v1.MapPost("/recommend", (HttpContext ctx, ModelHost host) => Handle(ctx, host, () => Recommend(ctx, host)))
            .WithSummary("Top-k items for a history or a known user")
            .WithDescription("Exclusions and candidates are masks inside the constrained beam search, so k items come back whenever k are allowed. " +
                "Concurrent requests are decoded together in batches.")
            .Accepts<RecommendRequest>("application/json", "*/*").Produces<RecommendResponse>().ProducesProblem(400).ProducesProblem(503);
        v1.MapPost("/recommend:batch", (HttpContext ctx, ModelHost host) => Handle(ctx, host, () => RecommendBatch(ctx, host)))
            .WithSummary("Top-k items for many requests in one call (decoded in one batch)")
            .Accepts<BatchRecommendRequest>("application/json", "*/*").Produces<BatchRecommendResponse>().ProducesProblem(400).ProducesProblem(503);
        var items = app.MapGroup("/v1").WithTags("catalogue");
        items.MapGet("/items/{item}", (HttpContext ctx, ModelHost host, string item) => Handle(ctx, host, () => Task.FromResult(ItemLookup(host, item))))
            .WithSummary("An item's identifier and title")
            .Produces<ItemInfo>().ProducesProblem(400).ProducesProblem(404);
        items.MapGet("/identifiers/{identifier}", (HttpContext ctx, ModelHost host, string identifier) => Handle(ctx, host, () => Task.FromResult(IdentifierLookup(host, identifier))))
            .WithSummary("The items an identifier stands for")
            .WithDescription("The identifier as its tokens, e.g. <a_12><b_3><c_40><d_7> (URL-encoded) or a_12,b_3,c_40,d_7.")
            .Produces<IdentifierItems>().ProducesProblem(400).ProducesProblem(404);
        items.MapPost("/items", (HttpContext ctx, ModelHost host) => Handle(ctx, host, () => AddItems(ctx, host)))
            .WithSummary("Add items without retraining: an identifier from the run's trained tokenizer")
            .WithDescription("The embedding must come from the model the tokenizer was trained on (same dimension); a run that embedded its item text with " +
                "the built-in encoder also takes the text (its fields joined by spaces, as the run embedded items). The new identifier is " +
                "distinct from every existing one; the item is persisted in the run folder (added-items.json) and can be recommended at once.")
            .Accepts<NewItemsRequest>("application/json", "*/*").Produces<NewItemsResponse>(201).ProducesProblem(400).ProducesProblem(409);

        var health = app.MapGroup("/health").WithTags("operations");
        health.MapGet("/live", () => Results.Ok(new Health("live"))).Produces<Health>();
        health.MapGet("/ready", (ModelHost host) =>
        {
            var m = host.Acquire();
            if (m is null)
                return Results.Json(host.LoadError is null ? new Health("loading") : new Health("failed", host.LoadError), statusCode: 503);
            try { return Results.Ok(new Health("ready", Model: Info(m))); }
            finally { m.Release(); }
        }).Produces<Health>().Produces<Health>(503);
        app.MapGet("/metrics", (ServiceMetrics metrics) => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8", Encoding.UTF8))
            .WithTags("operations").WithSummary("Prometheus metrics");

        app.MapPost("/admin/reload", (HttpContext ctx, ModelHost host) => Handle(ctx, host, () => Reload(ctx, host)))
            .WithTags("admin").WithSummary("Load the run folder again and swap it in (no request fails)")
            .WithDescription("Only from loopback addresses, unless the server was started with --admin-token; then with 'Authorization: Bearer TOKEN'.")
            .Produces<ReloadResponse>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(409);
    }

    private sealed class InitialLoad(ModelHost host, IHostApplicationLifetime lifetime, ServeOptions options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = host.StartLoading().ContinueWith(t =>
            {
                if (t.IsFaulted && options.StopOnLoadFailure) lifetime.StopApplication();
            }, TaskScheduler.Default);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    // ---- handlers ----

    private static async Task<IResult> Handle(HttpContext ctx, ModelHost host, Func<Task<IResult>> handler)
    {
        try { return await handler(); }
        catch (RequestException e)
        {
            host.Metrics.Error(e.Status == 400 ? "bad_request" : e.Status == 409 ? "conflict" : e.Status == 404 ? "not_found" : $"status_{e.Status}");
            return Problem(e.Status, e.Message, e.Field, e.Value);
        }
        catch (ServiceUnavailableException e)
        {
            host.Metrics.Error(e.Message.Contains("queue") ? "queue_full" : "not_ready");
            ctx.Response.Headers.RetryAfter = "1";
            return Problem(503, e.Message, null, null);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            host.Metrics.Error("client_gone");
            return Results.Empty;
        }
        catch (BadHttpRequestException e)
        {
            // the client closed mid-body, or sent what Kestrel itself refuses
            host.Metrics.Error(ctx.RequestAborted.IsCancellationRequested ? "client_gone" : "bad_request");
            return Problem(e.StatusCode, $"the request could not be read: {e.Message}", "body", null);
        }
        catch (LetterDataException e)
        {
            host.Metrics.Error("conflict");
            return Problem(409, e.Message, null, null);
        }
        catch (Exception e)
        {
            host.Metrics.Error("internal");
            ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Letter.Service").LogError(e, "request {Path} failed", ctx.Request.Path);
            return Problem(500, "internal error: " + e.Message, null, null);
        }
    }

    private static IResult Problem(int status, string detail, string? field, string? value)
    {
        var extensions = new Dictionary<string, object?>();
        if (field is not null) extensions["field"] = field;
        if (field is not null) extensions["value"] = value;
        return Results.Problem(detail: detail, statusCode: status, title: status switch
        {
            400 => "Bad request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not found",
            409 => "Conflict",
            503 => "Service unavailable",
            _ => "Internal error",
        }, extensions: extensions);
    }

    private static ServedModel Current(ModelHost host) =>
        host.Acquire() ?? throw new ServiceUnavailableException(host.LoadError is null ? "the model is still loading: retry shortly" : $"no model is served: {host.LoadError}");

    private static async Task<JsonDocument> ReadJson(HttpContext ctx, ModelHost host)
    {
        int limit = host.Options.MaxBodyBytes;
        if (ctx.Request.ContentLength is long declared && declared > limit)
            throw new BadRequestException("body", $"{declared} bytes", $"the body is over the size limit of {limit} bytes");
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        while (true)
        {
            int n;
            try { n = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted); }
            catch (BadHttpRequestException e) when (e.StatusCode == 413)
            {
                throw new BadRequestException("body", $"> {limit} bytes", $"the body is over the size limit of {limit} bytes");
            }
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
            if (buffer.Length > limit) throw new BadRequestException("body", $"> {limit} bytes", $"the body is over the size limit of {limit} bytes");
        }
        return RequestParser.Parse(buffer.ToArray());
    }

    private static ModelInfo Info(ServedModel m) => new(m.Name, m.RunName, m.Version, m.ItemCount);

    private static double Ms(long start) => Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 3);

    /// <summary>A checked query as a decoding on <paramref name="model"/> (the job holds its own reference to the model).</summary>
    private static (DecodeJob Job, ItemFilter? Filter, int K) Prepare(ServedModel model, RecommendQuery q, string prefix, CancellationToken cancel)
    {
        int[] history;
        if (q.User is not null)
        {
            if (model.Run.Users is null) throw new BadRequestException(RequestParser.Path(prefix, "user"), q.User, model.Run.UsersUnavailable!);
            if (!model.Run.Users.TryGetValue(q.User, out history!))
                throw new BadRequestException(RequestParser.Path(prefix, "user"), q.User, $"user '{q.User}' is not in the run's dataset");
        }
        else
        {
            history = q.History!;
            CheckItems(model, history, RequestParser.Path(prefix, "history"));
        }
        if (q.ExcludeItems is not null) CheckItems(model, q.ExcludeItems, RequestParser.Path(prefix, "exclude"));
        if (q.Candidates is not null) CheckItems(model, q.Candidates, RequestParser.Path(prefix, "candidates"));
        var exclude = q.Exclude switch
        {
            ExcludeMode.Seen => history.ToHashSet(),
            ExcludeMode.List => q.ExcludeItems!.ToHashSet(),
            _ => null,
        };
        var filter = new ItemFilter(exclude is { Count: > 0 } ? exclude : null, q.Candidates?.ToHashSet());
        var used = filter.Exclude is null && filter.Only is null ? null : filter;
        int beam = Math.Min(Math.Max(q.Beam ?? model.Recommender.Beam, q.K), model.Catalog.IdentifierCount);
        if (!model.TryAcquire()) throw new InvalidOperationException("the model was released while in use");
        return (new DecodeJob(model, history, beam, used, cancel), used, q.K);
    }

    private static void CheckItems(ServedModel model, int[] items, string field)
    {
        for (int i = 0; i < items.Length; i++)
            if (items[i] >= model.ItemCount)
                throw new BadRequestException($"{field}[{i}]", items[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"item {items[i]} is not in the catalogue (items 0-{model.ItemCount - 1})");
    }

    private static List<RecommendedItem> ItemsOf(ServedModel m, Beam[] beams, ItemFilter? filter, int k)
    {
        var list = new List<RecommendedItem>(k);
        foreach (var b in beams)
        {
            var identifier = m.Catalog.IdentifierOf(b);
            foreach (var item in m.Catalog.ItemsOf(b))
            {
                if (filter is not null && !filter.Allows(item)) continue;
                list.Add(new RecommendedItem(item, Math.Round(b.Score, 6), identifier, m.Titles[item]));
                if (list.Count == k) return list;
            }
        }
        return list;
    }

    private static async Task<IResult> Recommend(HttpContext ctx, ModelHost host)
    {
        long start = Stopwatch.GetTimestamp();
        var arriving = host.Queue.Arriving();
        try { return await RecommendArriving(ctx, host, start, arriving); }
        finally { arriving.Dispose(); }
    }

    private static async Task<IResult> RecommendArriving(HttpContext ctx, ModelHost host, long start, IDisposable arriving)
    {
        using var doc = await ReadJson(ctx, host);
        var q = RequestParser.Recommend(doc.RootElement, "", host.Options);
        var model = Current(host);
        try
        {
            var (job, filter, k) = Prepare(model, q, "", ctx.RequestAborted);
            Enqueue(host, [job], arriving);
            var beams = await job.Done.Task.WaitAsync(ctx.RequestAborted);
            return Results.Ok(new RecommendResponse(ItemsOf(model, beams, filter, k), Info(model), Ms(start)));
        }
        finally { model.Release(); }
    }

    private static void Enqueue(ModelHost host, IReadOnlyList<DecodeJob> jobs, IDisposable? arriving = null)
    {
        if (host.Queue.TryEnqueue(jobs, arriving)) return;
        foreach (var j in jobs) j.Model.Release();
        host.Metrics.Rejected();
        throw new ServiceUnavailableException($"the decoding queue is full ({host.Options.QueueCapacity} waiting): retry shortly");
    }

    private static async Task<IResult> RecommendBatch(HttpContext ctx, ModelHost host)
    {
        long start = Stopwatch.GetTimestamp();
        using var doc = await ReadJson(ctx, host);
        var root = RequestParser.Object(doc.RootElement, "body");
        RequestParser.OnlyKnown(root, "", "requests");
        if (!root.TryGetProperty("requests", out var list) || list.ValueKind != JsonValueKind.Array)
            throw list.ValueKind == JsonValueKind.Undefined
                ? new BadRequestException("requests", null, "give 'requests': a list of recommendation requests")
                : RequestParser.Wrong("requests", list, "a list of recommendation requests");
        int count = list.GetArrayLength();
        if (count == 0 || count > host.Options.MaxBatchRequests)
            throw new BadRequestException("requests", $"{count} requests", $"a batch holds 1 to {host.Options.MaxBatchRequests} requests");
        var queries = list.EnumerateArray().Select((e, i) => RequestParser.Recommend(e, $"requests[{i}]", host.Options)).ToList();
        var model = Current(host);
        var prepared = new List<(DecodeJob Job, ItemFilter? Filter, int K)>();
        try
        {
            try
            {
                for (int i = 0; i < queries.Count; i++) prepared.Add(Prepare(model, queries[i], $"requests[{i}]", ctx.RequestAborted));
            }
            catch
            {
                foreach (var p in prepared) p.Job.Model.Release();
                throw;
            }
            Enqueue(host, prepared.Select(p => p.Job).ToList());
            var results = new List<BatchResult>(prepared.Count);
            foreach (var (job, filter, k) in prepared)
                results.Add(new BatchResult(ItemsOf(model, await job.Done.Task.WaitAsync(ctx.RequestAborted), filter, k)));
            return Results.Ok(new BatchRecommendResponse(results, Info(model), Ms(start)));
        }
        finally { model.Release(); }
    }

    private static IResult ItemLookup(ModelHost host, string text)
    {
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var item))
            throw new BadRequestException("item", text, "item must be an item id (an integer >= 0)");
        var m = Current(host);
        try
        {
            if (item >= m.ItemCount) throw new RequestException(404, "item", text, $"item {item} is not in the catalogue (items 0-{m.ItemCount - 1})");
            return Results.Ok(Describe(m, item));
        }
        finally { m.Release(); }
    }

    private static ItemInfo Describe(ServedModel m, int item)
    {
        var shared = m.Catalog.ItemsOf(m.Catalog.KeyOfItem(item)).Where(i => i != item).ToArray();
        return new ItemInfo(item, m.Titles[item], m.Catalog.Index.Tokens(item), shared, item >= m.Run.Index.ItemCount);
    }

    [GeneratedRegex(@"^<?([a-z])_(\d{1,6})>?$")]
    private static partial Regex TokenPattern();

    private static IResult IdentifierLookup(ModelHost host, string text)
    {
        var parts = text.Contains(',') ? text.Split(',', StringSplitOptions.TrimEntries)
            : Regex.Matches(text, "<[^<>]*>").Select(x => x.Value).ToArray();
        if (parts.Length == 0) parts = [text];
        var tokens = new string[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            var match = TokenPattern().Match(parts[i]);
            if (!match.Success)
                throw new BadRequestException("identifier", text, $"'{parts[i]}' is not an identifier token such as <a_12> (give the tokens as <a_12><b_3>... or a_12,b_3,...)");
            tokens[i] = $"<{match.Groups[1].Value}_{int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)}>";
        }
        var m = Current(host);
        try
        {
            if (tokens.Length != m.Catalog.Levels)
                throw new BadRequestException("identifier", text, $"an identifier has {m.Catalog.Levels} tokens, this one {tokens.Length}");
            var items = m.Catalog.ItemsOfIdentifier(tokens);
            if (items.Length == 0) throw new RequestException(404, "identifier", text, $"no item has the identifier {string.Concat(tokens)}");
            return Results.Ok(new IdentifierItems(tokens, items.Select(i => new ItemSummary(i, m.Titles[i])).ToList()));
        }
        finally { m.Release(); }
    }

    private static async Task<IResult> AddItems(HttpContext ctx, ModelHost host)
    {
        using var doc = await ReadJson(ctx, host);
        var root = RequestParser.Object(doc.RootElement, "body");
        RequestParser.OnlyKnown(root, "", "embedding", "text", "title", "items");
        var entries = new List<(JsonElement Obj, string Prefix)>();
        if (root.TryGetProperty("items", out var list))
        {
            if (root.TryGetProperty("embedding", out _) || root.TryGetProperty("text", out _))
                throw new BadRequestException("items", null, "give either one item (embedding or text, title) or 'items' (several), not both");
            if (list.ValueKind != JsonValueKind.Array) throw RequestParser.Wrong("items", list, "a list of {embedding, title}");
            int n = list.GetArrayLength();
            if (n == 0 || n > host.Options.MaxNewItems) throw new BadRequestException("items", $"{n} items", $"add 1 to {host.Options.MaxNewItems} items per request");
            int i = 0;
            foreach (var e in list.EnumerateArray())
            {
                var prefix = $"items[{i++}]";
                RequestParser.Object(e, prefix);
                RequestParser.OnlyKnown(e, prefix, "embedding", "text", "title");
                entries.Add((e, prefix));
            }
        }
        else entries.Add((root, ""));

        var parsed = new List<(float[]? Embedding, string? Text, string? Title, string Prefix)>();
        foreach (var (e, prefix) in entries)
        {
            bool hasEmbedding = e.TryGetProperty("embedding", out var emb), hasText = e.TryGetProperty("text", out var txt);
            if (hasEmbedding == hasText)
                throw new BadRequestException(RequestParser.Path(prefix, "embedding"), null,
                    "give the new item's embedding (a list of numbers) or, when the run has a text encoder, its text: exactly one of them");
            float[]? vector = null;
            string? text = null;
            if (hasEmbedding) vector = RequestParser.Floats(emb, RequestParser.Path(prefix, "embedding"));
            else
            {
                if (txt.ValueKind != JsonValueKind.String) throw RequestParser.Wrong(RequestParser.Path(prefix, "text"), txt, "a string");
                text = txt.GetString()!;
                if (text.Trim().Length == 0 || text.Length > 20_000)
                    throw new BadRequestException(RequestParser.Path(prefix, "text"), RequestParser.Raw(txt), "the text must hold 1 to 20000 characters");
            }
            string? title = null;
            if (e.TryGetProperty("title", out var t) && t.ValueKind != JsonValueKind.Null)
            {
                if (t.ValueKind != JsonValueKind.String) throw RequestParser.Wrong(RequestParser.Path(prefix, "title"), t, "a string");
                title = t.GetString()!;
                if (title.Length > 1000) throw new BadRequestException(RequestParser.Path(prefix, "title"), title[..40] + "...", "a title has at most 1000 characters");
            }
            parsed.Add((vector, text, title, prefix));
        }
        var m = Current(host);
        try
        {
            var run = m.Run;
            if (run.TokenizerDirectory is null)
                throw new ConflictException(RequestParser.Path(parsed[0].Prefix, parsed[0].Embedding is null ? "text" : "embedding"), null, run.TokenizerUnavailable!);
            foreach (var (vector, text, _, prefix) in parsed)
                if (vector is null && run.TextOptions is null)
                    throw new ConflictException(RequestParser.Path(prefix, "text"), null, run.TextUnavailable!);
                else if (vector is not null && vector.Length != run.TokenizerInputDim)
                    throw new BadRequestException(RequestParser.Path(prefix, "embedding"), $"{vector.Length} numbers",
                        $"the embedding has {vector.Length} numbers, the run's tokenizer reads {run.TokenizerInputDim}");
        }
        finally { m.Release(); }

        var added = await host.AddItemsAsync(parsed.Select(p => (p.Embedding, p.Text, p.Title ?? "")).ToList(), ctx.RequestAborted);
        var now = Current(host);
        try
        {
            var infos = added.Select(a => Describe(now, a.Item)).ToList();
            return Results.Created($"/v1/items/{infos[0].Item}", new NewItemsResponse(infos, Info(now)));
        }
        finally { now.Release(); }
    }

    private static async Task<IResult> Reload(HttpContext ctx, ModelHost host)
    {
        if (Refuse(ctx, host.Options) is { } refusal) return refusal;
        long start = Stopwatch.GetTimestamp();
        ServedModel m;
        try { m = await host.ReloadAsync(ctx.RequestAborted); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ConflictException("run", host.Options.RunDirectory, $"reload failed, the previous model is still served: {e.Message}");
        }
        return Results.Ok(new ReloadResponse(Info(m), Ms(start)));
    }

    /// <summary>Admin endpoints: a bearer token when one is configured, else loopback clients only.</summary>
    private static IResult? Refuse(HttpContext ctx, ServeOptions options)
    {
        if (options.AdminToken is { } token)
        {
            var header = ctx.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token))) return null;
            return Problem(401, "admin endpoints need 'Authorization: Bearer TOKEN' (the server's --admin-token)", "Authorization", header.Length == 0 ? null : "Bearer ***");
        }
        var remote = ctx.Connection.RemoteIpAddress;
        if (remote is not null && remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
        if (remote is not null && IPAddress.IsLoopback(remote)) return null;
        return Problem(403, "admin endpoints answer loopback clients only (start the server with --admin-token to allow others)", "remote address", remote?.ToString());
    }
}
