using PandaProbe.Model;
using Xunit;

namespace PandaProbe.Unit.Model;

public class IdTests
{
    [Fact]
    public void New_ids_are_version_4_rfc_4122_guids()
    {
        for (var i = 0; i < 2_000; i++)
        {
            foreach (var text in new[] { TraceId.New().ToString(), SpanId.New().ToString() })
            {
                Assert.Equal(36, text.Length);
                Assert.Equal('4', text[14]);                 // version nibble
                Assert.Contains(text[19], "89ab");            // variant 10xx
                Assert.Equal(text.ToLowerInvariant(), text);
            }
        }
    }

    [Fact]
    public async Task New_ids_are_distinct_across_threads()
    {
        const int perThread = 50_000;
        var batches = Enumerable.Range(0, 4)
            .Select(_ => Task.Run(() => Enumerable.Range(0, perThread).Select(_ => SpanId.New().Value).ToArray()))
            .ToArray();
        var all = (await Task.WhenAll(batches)).SelectMany(b => b).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.DoesNotContain(Guid.Empty, all);
    }

    [Fact]
    public void Random_bits_cover_every_position()
    {
        // Each of the 122 random bits must vary: OR-ing and AND-ing a few hundred ids shows a bit stuck at 0 or 1.
        Span<byte> any = stackalloc byte[16], all = stackalloc byte[16];
        all.Fill(0xFF);
        Span<byte> buffer = stackalloc byte[16];
        for (var i = 0; i < 512; i++)
        {
            RandomGuid.NewV4().TryWriteBytes(buffer);
            for (var b = 0; b < 16; b++) { any[b] |= buffer[b]; all[b] &= buffer[b]; }
        }
        for (var b = 0; b < 16; b++)
        {
            var fixedMask = b switch { 7 => 0xF0, 8 => 0xC0, _ => 0x00 };
            Assert.Equal(0xFF & ~fixedMask, (any[b] & ~fixedMask) & 0xFF);
            Assert.Equal(0, all[b] & ~fixedMask & 0xFF);
        }
    }
}
