namespace Letter.Service;

/// <summary>A refusal that becomes a problem-details response naming the field and the value.</summary>
public class RequestException(int status, string field, string? value, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Field { get; } = field;
    public string? Value { get; } = value;
    /// <summary>Field and value are already escaped for display (they held bytes that are not text); otherwise they are escaped when shown.</summary>
    public bool Escaped { get; init; }
    /// <summary>Already counted under its own reason in the refusal metric.</summary>
    public bool Counted { get; init; }
}

public sealed class BadRequestException(string field, string? value, string detail) : RequestException(400, field, value, detail);

public sealed class ConflictException(string field, string? value, string detail) : RequestException(409, field, value, detail);

public sealed class ServiceUnavailableException(string detail) : Exception(detail);

/// <summary>The client closed the connection or reset it before its request was read or answered: nobody to answer.</summary>
public sealed class ClientGoneException(string detail, Exception? inner = null) : Exception(detail, inner);
