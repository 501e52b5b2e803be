using Letter.IO;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Letter.Service;

/// <summary>How refusals and failures become responses: problem-details bodies naming the field and the value, and the refusal metrics.</summary>
internal static class Problems
{
    /// <summary>The status a response is recorded with when its client went away first (nginx's "client closed request").</summary>
    public const int ClientClosedRequest = 499;

    /// <summary>Longest quoted value shown in a problem-details body.</summary>
    private const int MaxShown = 200;

    internal static async Task<IResult> Handle(HttpContext ctx, ModelHost host, Func<Task<IResult>> handler)
    {
        try { return await handler(); }
        catch (RequestException e)
        {
            if (!e.Counted) host.Metrics.Refused(e.Status == 400 ? "bad_request" : e.Status == 409 ? "conflict" : e.Status == 404 ? "not_found" : $"status_{e.Status}");
            return Problem(e);
        }
        catch (ServiceUnavailableException e)
        {
            host.Metrics.Refused(e.Message.Contains("queue") ? "queue_full" : "not_ready");
            ctx.Response.Headers.RetryAfter = "1";
            return Problem(503, e.Message, null, null);
        }
        catch (Exception e) when (e is ClientGoneException || (e is OperationCanceledException && ctx.RequestAborted.IsCancellationRequested))
        {
            ClientGone(ctx, host, e is ClientGoneException ? e.Message : "before its answer was ready");
            return Results.StatusCode(ClientClosedRequest);
        }
        catch (LetterDataException e)
        {
            host.Metrics.Refused("conflict");
            return Problem(409, e.Message, null, null);
        }
        catch (Exception e)
        {
            host.Metrics.Refused("internal");
            ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Letter.Service").LogError(e, "request {Path} failed", ctx.Request.Path);
            return Problem(500, "internal error: " + e.Message, null, null);
        }
    }

    /// <summary>A client that left is not an error of the server: counted apart and logged in one line, without a stack trace.</summary>
    private static void ClientGone(HttpContext ctx, ModelHost host, string when)
    {
        host.Metrics.ClientGone(ctx.Request.Path.Value ?? "");
        ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Letter.Service")
            .LogInformation("client {Remote} went away {When}: {Method} {Path}", ctx.Connection.RemoteIpAddress, when, ctx.Request.Method, Quoted.Escape(ctx.Request.Path.Value, MaxShown));
    }

    internal static IResult Problem(RequestException e) =>
        e.Escaped ? Problem(e.Status, e.Message, e.Field, e.Value, escape: false) : Problem(e.Status, e.Message, e.Field, e.Value);

    /// <summary>A problem-details result; the field and the value are client input, shown escaped (<see cref="Quoted"/>) and cut.</summary>
    internal static IResult Problem(int status, string detail, string? field, string? value, bool escape = true)
    {
        var extensions = new Dictionary<string, object?>();
        if (field is not null)
        {
            extensions["field"] = escape ? Quoted.Escape(field, MaxShown) : field;
            extensions["value"] = value is null ? null : escape ? Quoted.Escape(value, MaxShown) : value;
        }
        return Results.Problem(detail: detail, statusCode: status, title: Title(status), extensions: extensions);
    }

    internal static string Title(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "Content too large",
        414 => "URI too long",
        415 => "Unsupported media type",
        431 => "Request header fields too large",
        503 => "Service unavailable",
        _ => status is >= 400 and < 500 ? "Bad request" : "Internal error",
    };
}
