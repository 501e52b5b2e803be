using OpenTelemetry.Metrics;
using System.Text;
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
/// process settings (torch threads, libtorch's memory and kernels); the library only decodes. This file
/// composes the application and maps the routes; each concern lives in its own file.
/// </summary>
public static class LetterServer
{
    /// <summary>Builds the application; <paramref name="configure"/> may change the builder (tests: an in-process server).</summary>
    public static WebApplication Build(ServeOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        options.Validate();
        ProcessSettings.Prepare(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes + 1L; // we refuse past the limit ourselves, with a 400 that says so
            k.AddServerHeader = false;
            // Kestrel answers what it refuses itself with an empty body (no hook gives it one): let URLs up to
            // this size reach the application, which refuses those over MaxUrlBytes with problem details
            k.Limits.MaxRequestLineSize = Math.Max(k.Limits.MaxRequestLineSize, WireLimits.KestrelRequestLineBytes);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownSeconds));
        builder.Services.AddSingleton(options);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(ServiceMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Diagnostics", "System.Runtime")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddHostedService<InitialLoad>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Letter recommendations";
            doc.Info.Description = "Generative recommendation over LETTER identifiers (the run's recommender kind: TIGER, LC-Rec, ...) decoded by constrained beam search. " +
                "Refusals are problem-details bodies whose 'field' and 'value' name what was wrong.";
            return Task.CompletedTask;
        }));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Letter.Service", LogLevel.Information);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = _ => StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.Use(WireLimits.RefuseLongUrls(options));
        Map(app);
        return app;
    }

    private static void Map(WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Letter recommendations").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        app.MapGet("/", () => Results.Redirect("/docs/v1")).ExcludeFromDescription();

        var v1 = app.MapGroup("/v1").WithTags("recommend");
        v1.MapPost("/recommend", (HttpContext ctx, ModelHost host) => Problems.Handle(ctx, host, () => RecommendEndpoints.Recommend(ctx, host)))
            .WithSummary("Top-k items for a history or a known user")
            .WithDescription("Exclusions and candidates are masks inside the constrained beam search, so k items come back whenever k are allowed. " +
                "Concurrent requests are decoded together in batches.")
            .Accepts<RecommendRequest>("application/json", "*/*").Produces<RecommendResponse>().ProducesProblem(400).ProducesProblem(503);
        v1.MapPost("/recommend:batch", (HttpContext ctx, ModelHost host) => Problems.Handle(ctx, host, () => RecommendEndpoints.RecommendBatch(ctx, host)))
            .WithSummary("Top-k items for many requests in one call (decoded in one batch)")
            .Accepts<BatchRecommendRequest>("application/json", "*/*").Produces<BatchRecommendResponse>().ProducesProblem(400).ProducesProblem(503);
        var items = app.MapGroup("/v1").WithTags("catalogue");
        items.MapGet("/items/{item}", (HttpContext ctx, ModelHost host, string item, string? ids) => Problems.Handle(ctx, host, () => Task.FromResult(LookupEndpoints.ItemLookup(host, LookupEndpoints.ItemSegment(ctx, item), ids))))
            .WithSummary("An item's identifier and title")
            .WithDescription("The item by its dataset id (URL-encoded: an id holding \"/\" as %2F), or by its dense id with ?ids=dense.")
            .Produces<ItemInfo>().ProducesProblem(400).ProducesProblem(404);
        items.MapGet("/identifiers/{identifier}", (HttpContext ctx, ModelHost host, string identifier) => Problems.Handle(ctx, host, () => Task.FromResult(LookupEndpoints.IdentifierLookup(host, identifier))))
            .WithSummary("The items an identifier stands for")
            .WithDescription("The identifier as its tokens, e.g. <a_12><b_3><c_40><d_7> (URL-encoded) or a_12,b_3,c_40,d_7.")
            .Produces<IdentifierItems>().ProducesProblem(400).ProducesProblem(404);
        items.MapPost("/items", (HttpContext ctx, ModelHost host) => Problems.Handle(ctx, host, () => ItemEndpoints.AddItems(ctx, host)))
            .WithSummary("Add items without retraining: an identifier from the run's trained tokenizer")
            .WithDescription("The embedding must come from the model the tokenizer was trained on (same dimension); a run that embedded its item text with " +
                "the built-in encoder also takes the text (its fields joined by spaces, as the run embedded items). The new identifier is " +
                "distinct from every existing one; the item is persisted in the run folder (added-items.json) and can be recommended at once.")
            .Accepts<NewItemsRequest>("application/json", "*/*").Produces<NewItemsResponse>(201).Produces<NewItemsResponse>(200).ProducesProblem(400).ProducesProblem(409);

        var health = app.MapGroup("/health").WithTags("operations");
        health.MapGet("/live", () => Results.Ok(new Health("live"))).Produces<Health>();
        health.MapGet("/ready", (ModelHost host) =>
        {
            var m = host.Acquire();
            if (m is null)
                return Results.Json(host.LoadError is null ? new Health("loading") : new Health("failed", host.LoadError), statusCode: 503);
            try { return Results.Ok(new Health("ready", Model: ServedModels.Info(m))); }
            finally { m.Release(); }
        }).Produces<Health>().Produces<Health>(503);
        app.MapPrometheusScrapingEndpoint("/metrics").WithTags("operations").WithSummary("Prometheus metrics (OpenTelemetry's exporter)");

        app.MapPost("/admin/reload", (HttpContext ctx, ModelHost host) => Problems.Handle(ctx, host, () => AdminEndpoints.Reload(ctx, host)))
            .WithTags("admin").WithSummary("Load the run folder again and swap it in (no request fails)")
            .WithDescription("Only from loopback addresses, unless the server was started with --admin-token; then with 'Authorization: Bearer TOKEN'.")
            .Produces<ReloadResponse>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(409);
    }
}
