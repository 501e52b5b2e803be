using System.Text.Json;
using System.Text.Json.Serialization;

namespace Letter.IO;

/// <summary>
/// The one JSON dialect of Letter's configs and run records: snake_case keys and enum values,
/// indented, unknown keys rejected on reading. Serializing a config record with it writes every
/// setting, so a run's record cannot fall behind the record type.
/// </summary>
public static class SnakeCaseJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>A record as a JSON tree (to nest inside a larger document).</summary>
    public static System.Text.Json.Nodes.JsonNode? Node<T>(T value) => JsonSerializer.SerializeToNode(value, Options);
}
