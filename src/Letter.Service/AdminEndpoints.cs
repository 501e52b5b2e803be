using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Letter.Service;

/// <summary><c>POST /admin/reload</c> and who may call the admin endpoints.</summary>
internal static class AdminEndpoints
{
    internal static async Task<IResult> Reload(HttpContext ctx, ModelHost host)
    {
        if (Refuse(ctx, host.Options) is { } refusal) return refusal;
        long start = Stopwatch.GetTimestamp();
        ServedModel m;
        try { m = await host.ReloadAsync(ctx.RequestAborted); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ConflictException("run", host.Options.RunDirectory, $"reload failed, the previous model is still served: {e.Message}");
        }
        return Results.Ok(new ReloadResponse(ServedModels.Info(m), ServedModels.Ms(start)));
    }

    /// <summary>Admin endpoints: a bearer token when one is configured, else loopback clients only.</summary>
    internal static IResult? Refuse(HttpContext ctx, ServeOptions options)
    {
        if (options.AdminToken is { } token)
        {
            var header = ctx.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token))) return null;
            return Problems.Problem(401, "admin endpoints need 'Authorization: Bearer TOKEN' (the server's --admin-token)", "Authorization", header.Length == 0 ? null : "Bearer ***");
        }
        var remote = ctx.Connection.RemoteIpAddress;
        if (remote is not null && remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
        if (remote is not null && IPAddress.IsLoopback(remote)) return null;
        return Problems.Problem(403, "admin endpoints answer loopback clients only (start the server with --admin-token to allow others)", "remote address", remote?.ToString());
    }
}
