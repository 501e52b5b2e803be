using Letter.Models.Tiger;

namespace Letter.Tests.Models.Tiger;

public class RelativePositionTests
{
    // T5, 32 buckets, max distance 128. Bidirectional: 16 buckets per sign, 8 exact, then
    // 8 + floor(log(n/8) / log(16) * 8), capped at 15; positive offsets add 16.
    [Theory]
    [InlineData(0, 0)]
    [InlineData(-1, 1)]
    [InlineData(1, 17)]
    [InlineData(-7, 7)]
    [InlineData(-8, 8)]       // log(1) = 0
    [InlineData(-16, 10)]     // log(2)/log(16)*8 = 2
    [InlineData(20, 26)]      // 16 + 8 + floor(log(2.5)/log(16)*8 = 2.64)
    [InlineData(-128, 15)]    // 8 + 8 = 16, capped at 15
    [InlineData(-1000, 15)]
    public void Bidirectional_buckets_match_hand_computed_values(int relative, int bucket) =>
        Assert.Equal(bucket, RelativePosition.Bucket(relative, bidirectional: true, buckets: 32, maxDistance: 128));

    // Causal: only the past counts (future -> 0); 16 exact, then 16 + floor(log(n/16)/log(8)*16), capped at 31.
    [Theory]
    [InlineData(3, 0)]
    [InlineData(0, 0)]
    [InlineData(-3, 3)]
    [InlineData(-15, 15)]
    [InlineData(-16, 16)]
    [InlineData(-32, 21)]     // log(2)/log(8)*16 = 5.33
    [InlineData(-100, 30)]    // log(6.25)/log(8)*16 = 14.1
    [InlineData(-200, 31)]
    public void Causal_buckets_match_hand_computed_values(int relative, int bucket) =>
        Assert.Equal(bucket, RelativePosition.Bucket(relative, bidirectional: false, buckets: 32, maxDistance: 128));

    [Fact]
    public void Bucket_tensor_uses_memory_minus_query_with_the_query_offset()
    {
        using var b = RelativePosition.Buckets(1, 3, 2, bidirectional: false, buckets: 32, maxDistance: 128);
        Assert.Equal(new long[] { 2, 1, 0 }, b.data<long>().ToArray());
    }
}
