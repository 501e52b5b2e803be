using System.Text.Json;
using System.Text.Json.Serialization;

namespace Letter.IO;

/// <summary>
/// The JSON of Letter's run records (run info, training curves, checkpoint state, metrics): indented,
/// camelCase properties, nulls left out, NaN and infinities as named literals, non-ASCII text unescaped.
/// </summary>
public static class LetterJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
