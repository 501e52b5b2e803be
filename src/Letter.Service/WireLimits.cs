using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Letter.Service;

/// <summary>
/// Limits on the request line that the application enforces itself, so that their refusals carry a
/// problem-details body. Kestrel refuses what breaks its own limits (a request line over
/// <see cref="KestrelRequestLineBytes"/>, headers over 32 KB, a request target holding a NUL) before any
/// application code runs, with an empty body; its maintainers state that those responses cannot be
/// customised (aspnet/KestrelHttpServer#2947), so the server raises Kestrel's request-line limit well above
/// its own and answers the URLs in between.
/// </summary>
internal static class WireLimits
{
    /// <summary>Kestrel's request-line limit as the server sets it (its default is 8 KB).</summary>
    public const int KestrelRequestLineBytes = 64 * 1024;

    public static Func<HttpContext, RequestDelegate, Task> RefuseLongUrls(ServeOptions options) => (ctx, next) =>
    {
        var target = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "";
        if (target.Length <= options.MaxUrlBytes) return next(ctx);
        var result = Problems.Problem(StatusCodes.Status414UriTooLong, $"the URL has {target.Length} characters, over the limit of {options.MaxUrlBytes}",
            "url", target);
        return result.ExecuteAsync(ctx);
    };
}
