namespace Letter.Data;

/// <summary>One user's items in time order (item ids are 0-based).</summary>
public sealed record UserSequence(string UserId, int[] Items);
