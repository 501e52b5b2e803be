using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Letter.Tests.Service;

/// <summary>
/// The hostile requests of issue 38: duplicate fields, bytes that are not UTF-8, unpaired surrogates,
/// what Kestrel refuses before the application, and clients that leave mid-body. Each is answered with a
/// 4xx problem-details body naming the field, never a 500.
/// </summary>
[Collection("served runs")]
public class HostileRequestTests(ServedRuns runs)
{
    private static byte[] Bytes(params object[] parts) =>
        parts.SelectMany(p => p is string s ? Encoding.UTF8.GetBytes(s) : (byte[])p).ToArray();

    private static async Task<(int Status, JsonElement Problem)> Send(TestServing s, string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var response = await s.Client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{(int)response.StatusCode}: {text}");
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public static TheoryData<string, byte[], string, string> Refused => new()
    {
        // a field given twice: refused, not "the last one wins"
        { "/v1/recommend", Bytes("""{"history":[1],"k":"abc","k":5}"""), "k", "k" },
        { "/v1/recommend", Bytes("""{"history":[999],"history":[1]}"""), "history", "history" },
        { "/v1/recommend:batch", Bytes("""{"requests":[{"history":[1]},{"history":[2],"beam":3,"beam":4}]}"""), "requests[1].beam", "beam" },
        { "/v1/items", Bytes("""{"embedding":[1,2,3,4,5,6],"title":"a","title":"b"}"""), "title", "title" },
        // bytes that are not UTF-8, in a value and in a field name
        { "/v1/recommend", Bytes("""{"user":"ab""", new byte[] { 0xff, 0xfe }, "\"}"), "user", "ab\\xff\\xfe" },
        { "/v1/recommend", Bytes("{\"hi", new byte[] { 0xc3 }, "story\":[1]}"), "hi\\xc3story", "hi\\xc3story" },
        { "/v1/recommend", Bytes("{\"history\":[1],\"exclude\":[\"", new byte[] { 0xed, 0xa0, 0x80 }, "\"]}"), "exclude[0]", "\\xed\\xa0\\x80" },
        { "/v1/items", Bytes("""{"embedding":[1,2,3,4,5,6],"title":"caf""", new byte[] { 0xe9 }, "\"}"), "title", "caf\\xe9" },
        // unpaired surrogate escapes
        { "/v1/recommend", Bytes("""{"user":"x\ud800"}"""), "user", "x\\\\ud800" },
        { "/v1/recommend", Bytes("""{"history":[1],"\udc00":1}"""), "\\\\udc00", "\\\\udc00" },
        { "/v1/items", Bytes("""{"items":[{"embedding":[1,2,3,4,5,6],"title":"\ud83d"}]}"""), "items[0].title", "\\\\ud83d" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_hostile_body_gets_400_problem_details_naming_the_field(string path, byte[] body, string field, string value)
    {
        await using var s = await TestServing.Start(runs.Run);
        var (status, problem) = await Send(s, path, body);
        Assert.Equal(400, status);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(value, problem.GetProperty("value").GetString());
        Assert.Equal("Bad request", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Control_characters_in_refused_input_are_escaped_and_long_values_cut()
    {
        await using var s = await TestServing.Start(runs.Run);
        var (status, p) = await Send(s, "/v1/recommend", Bytes("""{"user":"a\u001b[31mred\u0007"}"""));
        Assert.Equal(400, status);
        Assert.Equal("user", p.GetProperty("field").GetString());
        Assert.Equal("a\\x1b[31mred\\x07", p.GetProperty("value").GetString());
        Assert.False(p.GetProperty("detail").GetString()!.Contains('\u001b'), p.GetProperty("detail").GetString());
        (status, p) = await Send(s, "/v1/recommend", Bytes("{\"user\":\"" + new string('u', 5000) + "\"}"));
        Assert.Equal(400, status);
        Assert.True(p.GetProperty("value").GetString()!.Length < 300, p.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Over_a_real_socket_a_long_url_gets_problem_details_and_a_nul_in_the_url_the_documented_kestrel_refusal()
    {
        await using var s = await TestServing.Start(runs.Run, loopback: true);
        // %00 decodes to a NUL in the path: Kestrel refuses it before any application code runs, with a 400 and an
        // empty body that no hook can fill (aspnet/KestrelHttpServer#2947; README, "What Kestrel refuses"). Pinned
        // here so that a Kestrel that lets it through (then the route answers with problem details) is noticed.
        var nul = await s.Client.GetAsync("/v1/items/%00");
        Assert.Equal(HttpStatusCode.BadRequest, nul.StatusCode);
        Assert.Empty(await nul.Content.ReadAsByteArrayAsync());

        // a URL over the server's 8 KB limit (below Kestrel's raised limit): 414 with problem details
        var longUrl = await s.Client.GetAsync("/v1/items/" + new string('7', 9000));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, longUrl.StatusCode);
        Assert.Equal("application/problem+json", longUrl.Content.Headers.ContentType?.MediaType);
        var p = JsonDocument.Parse(await longUrl.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("url", p.GetProperty("field").GetString());
        Assert.Contains("over the limit of 8192", p.GetProperty("detail").GetString());
        Assert.StartsWith("/v1/items/777", p.GetProperty("value").GetString());
        Assert.True(p.GetProperty("value").GetString()!.Length < 300);

        // an unknown path and a wrong method: problem details from the status-code pages
        var unknown = await s.Client.GetAsync("/v2/nothing");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        var method = await s.Client.GetAsync("/v1/recommend");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, method.StatusCode);
        Assert.Equal("application/problem+json", method.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_client_that_resets_mid_body_is_counted_as_gone_not_as_an_internal_error()
    {
        await using var s = await TestServing.Start(runs.Run, loopback: true);
        var uri = new Uri(s.App.Urls.First());
        for (int i = 0; i < 2; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, uri.Port);
            var head = $"POST /v1/recommend HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"history\": [1, ";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head));
            await Task.Delay(100);
            if (i == 0) socket.LingerState = new LingerOption(true, 0); // the first resets (RST), the second closes (FIN) before the declared length
            socket.Close();
        }
        string metrics = "";
        for (int i = 0; i < 100; i++)
        {
            metrics = await s.Client.GetStringAsync("/metrics");
            if (metrics.Split('\n').Where(l => l.StartsWith("letter_service_client_gone_total", StringComparison.Ordinal)).Sum(l => int.Parse(l.Split(' ')[^1])) >= 2) break;
            await Task.Delay(50);
        }
        var gone = metrics.Split('\n').Where(l => l.StartsWith("letter_service_client_gone_total", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gone.Sum(l => int.Parse(l.Split(' ')[^1])));
        Assert.All(gone, l => Assert.Contains("endpoint=\"/v1/recommend\"", l));
        Assert.DoesNotContain("reason=\"internal\"", metrics);
        // the server still answers
        Assert.Equal(HttpStatusCode.OK, (await s.Post("/v1/recommend", """{"history": [1]}""")).StatusCode);
    }
}

/// <summary>Bounded work per request: the cost limit, and a large batch decoded in parts with other requests between them.</summary>
[Collection("served runs")]
public class BoundedWorkTests(ServedRuns runs)
{
    private static string Json(object o) => JsonSerializer.Serialize(o);

    [Fact]
    public async Task A_batch_over_the_beam_limit_is_refused_whole_with_the_reason()
    {
        // the tiny run's beams are capped at its identifiers (24): 5 histories x beam 20 = 100 beams
        await using var s = await TestServing.Start(runs.Run, o => o with { MaxRequestBeams = 99 });
        var body = Json(new { requests = Enumerable.Range(0, 5).Select(i => new { history = new[] { i + 1 }, beam = 20 }) });
        var response = await s.Post("/v1/recommend:batch", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var p = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("requests", p.GetProperty("field").GetString());
        Assert.Equal("5 histories, 100 beams", p.GetProperty("value").GetString());
        Assert.Contains("over the limit of 99 per request", p.GetProperty("detail").GetString());
        Assert.Equal(0, s.Host.Metrics.DecodedHistories); // nothing was decoded for it
        Assert.Contains("reason=\"cost_limit\"} 1", await s.Client.GetStringAsync("/metrics"));
        // at the limit it is served
        var ok = await s.Post("/v1/recommend:batch", Json(new { requests = Enumerable.Range(0, 4).Select(i => new { history = new[] { i + 1 }, beam = 20 }) }));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task A_small_request_sent_during_a_large_batch_is_decoded_in_its_first_part()
    {
        await using var s = await TestServing.Start(runs.Run, o => o with { MaxBatch = 2, MaxWaitMs = 0 });
        s.Host.Queue.Pause();
        var large = s.Post("/v1/recommend:batch", Json(new { requests = Enumerable.Range(0, 100).Select(i => new { history = new[] { i % 24 }, k = 3 }) }));
        for (int i = 0; i < 400 && s.Host.Queue.Length < 100; i++) await Task.Delay(25);
        var small = s.Post("/v1/recommend", Json(new { history = new[] { 5, 6 }, k = 3 }));
        for (int i = 0; i < 400 && s.Host.Queue.Length < 101; i++) await Task.Delay(25);
        Assert.Equal(101, s.Host.Queue.Length);
        long before = s.Host.Metrics.DecodedHistories;
        s.Host.Queue.Resume();
        Assert.Equal(HttpStatusCode.OK, (await small).StatusCode);
        long decodedWhenSmallWasDone = s.Host.Metrics.DecodedHistories - before;
        // two histories per call: the small request's went in the first call, beside one of the large batch
        Assert.True(decodedWhenSmallWasDone < 50, $"{decodedWhenSmallWasDone} histories decoded before the small request was answered");
        Assert.Equal(HttpStatusCode.OK, (await large).StatusCode);
        Assert.Equal(before + 101, s.Host.Metrics.DecodedHistories);
    }
}
