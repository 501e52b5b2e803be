namespace Letter.Training;

/// <summary>How training samples are cut into batches (TIGER's <c>batching</c> setting; LC-Rec always batches by length).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<SampleBatching>))]
public enum SampleBatching
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("by-length")] ByLength,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("random")] Random,
}
