using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Letter.Service;

/// <summary>Reads a request body within the size limit and parses it strictly.</summary>
internal static class RequestBody
{
    internal static async Task<JsonDocument> ReadJson(HttpContext ctx, ModelHost host)
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
            // a reset (IOException: Kestrel's ConnectionResetException), a close before the declared length
            // (Kestrel: "Unexpected end of request content"), or the request aborted while we waited
            catch (Exception e) when (e is IOException or OperationCanceledException
                || (e is BadHttpRequestException && (ctx.RequestAborted.IsCancellationRequested || e.Message.Contains("Unexpected end", StringComparison.Ordinal))))
            {
                throw new ClientGoneException($"while sending its body ({buffer.Length} bytes read)", e);
            }
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
            if (buffer.Length > limit) throw new BadRequestException("body", $"> {limit} bytes", $"the body is over the size limit of {limit} bytes");
        }
        return RequestParser.Parse(buffer.ToArray());
    }
}
