using Letter.IO;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Letter.Service;

/// <summary>How refusals and failures become responses: problem-details bodies naming the field and the value, and the error metrics.</summary>
internal static class Problems
{
    internal static async Task<IResult> Handle(HttpContext ctx, ModelHost host, Func<Task<IResult>> handler)
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

    internal static IResult Problem(int status, string detail, string? field, string? value)
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
}
