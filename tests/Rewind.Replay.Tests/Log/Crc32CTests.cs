using Rewind.Replay.Log;

namespace Rewind.Replay.Tests.Log;

public class Crc32CTests
{
    [Fact]
    public void Matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Hardware_and_table_paths_agree_and_pieces_combine()
    {
        var data = new byte[1000];
        new Random(1).NextBytes(data);
        for (int len = 0; len < data.Length; len += 37)
        {
            var span = data.AsSpan(0, len);
            uint whole = Crc32C.Compute(span);
            Assert.Equal(whole, ~Crc32C.UpdateSoftware(~0u, span));
            int half = len / 3;
            Assert.Equal(whole, ~Crc32C.Update(Crc32C.Update(~0u, span[..half]), span[half..]));
        }
    }
}
