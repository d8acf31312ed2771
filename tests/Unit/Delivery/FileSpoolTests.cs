using PandaProbe.Model.Delivery;
using System.Collections;
using System.Text;
using PandaProbe.Model.Settings;
using PandaProbe.Settings;
using PandaProbe.Spool;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Delivery;

public sealed class FileSpoolTests : IDisposable
{
    readonly string directory = Path.Combine(Path.GetTempPath(), "pandaprobe-spool-unit", Guid.NewGuid().ToString("N"));
    readonly ManualTimeProvider clock = new();

    public void Dispose()
    {
        try { Directory.Delete(directory, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    FileSpool Spool(long maxBytes = 1 << 20, TimeSpan? maxAge = null) => new(directory, maxBytes, maxAge ?? TimeSpan.FromDays(1), clock);

    static PlatformRequest Entry(int n, int bodyBytes = 100) =>
        new(RequestKind.Trace, "/traces", $"delivery-{n}", Guid.NewGuid().ToString(), 1, Encoding.UTF8.GetBytes(new string('x', bodyBytes - 12) + $"{n,12}"));

    void Write(FileSpool spool, PlatformRequest entry)
    {
        Assert.True(spool.TryWrite(entry, out var evicted, out var error), error);
        Assert.Equal(0, evicted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void What_is_written_is_read_back_whole_and_oldest_first()
    {
        var spool = Spool();
        var entries = Enumerable.Range(0, 5).Select(i => Entry(i)).ToList();
        foreach (var e in entries) Write(spool, e);

        var ready = spool.Ready(out var expired);
        Assert.Equal(0, expired);
        var read = ready.Select(f => spool.Read(spool.TryLease(f, TimeSpan.FromMinutes(1))!)![0]).ToList();

        Assert.Equal(entries.Select(e => e.DeliveryId), read.Select(e => e!.DeliveryId));
        Assert.All(entries.Zip(read), p => Assert.Equal(p.Item1.Body, p.Item2!.Body));
        Assert.Equal(entries[0].TraceId, read[0]!.TraceId);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("empty")]
    public void A_torn_or_damaged_file_is_detected_deleted_and_never_replayed(string damage)
    {
        var spool = Spool();
        Write(spool, Entry(1));
        var file = Assert.Single(spool.Ready(out _));
        var bytes = File.ReadAllBytes(file.FullPath);
        File.WriteAllBytes(file.FullPath, damage switch
        {
            "truncated" => bytes[..(bytes.Length - 7)],
            "flipped" => bytes.Select((b, i) => i == bytes.Length / 2 ? (byte)(b ^ 0x20) : b).ToArray(),
            _ => [],
        });

        var lease = spool.TryLease(Assert.Single(spool.Ready(out _)), TimeSpan.FromMinutes(1))!;

        Assert.Null(spool.Read(lease));
        Assert.True(spool.IsEmpty);
    }

    [Fact]
    public void A_file_never_published_is_never_listed_and_is_cleaned_up_later()
    {
        var spool = Spool();
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "00000000000000000001-0000000001-1-1.spool.tmp");
        File.WriteAllBytes(temp, FileSpool.Encode(Entry(1)));
        File.SetLastWriteTimeUtc(temp, DateTime.UtcNow.AddHours(-2));

        Assert.Empty(spool.Ready(out _));
        Assert.False(File.Exists(temp));
    }

    [Fact]
    public void A_leased_file_is_taken_by_one_spool_only_until_its_lease_expires()
    {
        var a = Spool();
        var b = Spool();
        Write(a, Entry(1));
        var file = Assert.Single(a.Ready(out _));

        var lease = a.TryLease(file, TimeSpan.FromMinutes(5));
        Assert.NotNull(lease);
        Assert.Null(b.TryLease(file, TimeSpan.FromMinutes(5)));  // the same listing, raced: the rename fails
        Assert.Empty(b.Ready(out _));                              // a live lease is not offered

        clock.Advance(TimeSpan.FromMinutes(6));                    // its holder died
        var orphan = Assert.Single(b.Ready(out _));
        var taken = b.TryLease(orphan, TimeSpan.FromMinutes(5));
        Assert.NotNull(taken);
        Assert.Equal("delivery-1", b.Read(taken!)![0].DeliveryId);
        b.Complete(taken!);
        Assert.True(a.IsEmpty);
    }

    [Fact]
    public void A_lease_whose_holder_is_gone_is_free_at_once()
    {
        var spool = Spool();
        Write(spool, Entry(1));
        Write(spool, Entry(2));
        var files = spool.Ready(out _);
        using var gone = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        gone.WaitForExit();
        var expiry = clock.GetUtcNow().AddHours(1).UtcTicks;
        // Leased by a process that has exited, and by one that had this process's id (a restarted container).
        File.Move(files[0].FullPath, $"{files[0].FullPath}.lease-{expiry:D19}-{gone.Id}");
        File.Move(files[1].FullPath, $"{files[1].FullPath}.lease-{expiry:D19}-{Environment.ProcessId}");

        Assert.Equal(2, spool.Ready(out _).Count);
    }

    [Fact]
    public void A_copy_written_ahead_is_held_by_this_process_until_released()
    {
        var spool = Spool();
        var lease = spool.TryWriteLeased([Entry(1)], TimeSpan.FromMinutes(10), out _, out var error);
        Assert.NotNull(lease);
        Assert.Empty(spool.Ready(out _));
        Assert.False(spool.IsEmpty);

        spool.Release(lease!);

        Assert.Equal("delivery-1", spool.Read(spool.TryLease(Assert.Single(spool.Ready(out _)), TimeSpan.FromMinutes(1))!)![0].DeliveryId);
    }

    [Fact]
    public void A_file_of_several_requests_reads_back_in_order_and_its_remainder_keeps_its_place()
    {
        var spool = Spool();
        var batch = Enumerable.Range(0, 4).Select(i => Entry(i)).ToList();
        Assert.True(spool.TryWrite(batch, out _, out _));
        clock.Advance(TimeSpan.FromSeconds(1));
        Write(spool, Entry(9));
        var first = spool.Ready(out _)[0];
        Assert.Equal(4, first.Items);
        var lease = spool.TryLease(first, TimeSpan.FromMinutes(1))!;
        Assert.Equal(["delivery-0", "delivery-1", "delivery-2", "delivery-3"], spool.Read(lease)!.Select(e => e.DeliveryId));

        spool.Rewrite(lease, batch.Skip(2).ToList());   // two delivered, two to go

        var ready = spool.Ready(out _);
        Assert.Equal(2, ready.Count);
        Assert.Equal(2, ready[0].Items);
        Assert.Equal(["delivery-2", "delivery-3"], spool.Read(spool.TryLease(ready[0], TimeSpan.FromMinutes(1))!)!.Select(e => e.DeliveryId));
    }

    [Fact]
    public void A_released_file_is_offered_again_under_its_own_name()
    {
        var spool = Spool();
        Write(spool, Entry(1));
        Write(spool, Entry(2));
        var first = spool.Ready(out _)[0];
        var lease = spool.TryLease(first, TimeSpan.FromMinutes(5))!;

        spool.Release(lease);

        var ready = spool.Ready(out _);
        Assert.Equal(2, ready.Count);
        Assert.Equal(first.FullPath, ready[0].FullPath);
    }

    [Fact]
    public void The_oldest_files_make_room_when_the_spool_is_full_and_are_counted()
    {
        var one = FileSpool.Encode(Entry(0, 1_000)).Length;
        var spool = Spool(maxBytes: 3 * one);
        for (var i = 0; i < 3; i++) Write(spool, Entry(i, 1_000));

        Assert.True(spool.TryWrite(Entry(3, 1_000), out var evicted, out _));

        Assert.Equal(1, evicted);
        var ids = spool.Ready(out _).Select(f => spool.Read(spool.TryLease(f, TimeSpan.FromMinutes(1))!)![0].DeliveryId);
        Assert.Equal(["delivery-1", "delivery-2", "delivery-3"], ids);
    }

    [Fact]
    public void A_request_larger_than_the_spool_is_refused_with_a_reason()
    {
        var spool = Spool(maxBytes: 500);
        Assert.False(spool.TryWrite(Entry(1, 1_000), out _, out var error));
        Assert.Contains("larger than the spool", error);
    }

    [Fact]
    public void Files_older_than_the_age_limit_are_deleted_and_counted()
    {
        var spool = Spool(maxAge: TimeSpan.FromHours(1));
        Write(spool, Entry(1));
        Write(spool, Entry(2));
        clock.Advance(TimeSpan.FromMinutes(30));
        Write(spool, Entry(3));
        clock.Advance(TimeSpan.FromMinutes(31));

        var ready = spool.Ready(out var expired);

        Assert.Equal(2, expired);
        Assert.Single(ready);
    }

    [Theory]
    [InlineData("00000000000000000001-0000000001-42-3.spool", true, 3, false)]
    [InlineData("00000000000000000001-0000000001-42-3.spool.lease-00000000000000000009", true, 3, true)]
    [InlineData("00000000000000000001-0000000001-42-3.spool.tmp", false, 0, false)]
    [InlineData("notes.txt", false, 0, false)]
    [InlineData("x-y.spool", false, 0, false)]
    public void File_names_carry_age_items_and_lease(string name, bool valid, int items, bool leased)
    {
        Assert.Equal(valid, FileSpool.Parse(name, out _, out var n, out var lease, out _));
        if (!valid) return;
        Assert.Equal(items, n);
        Assert.Equal(leased, lease.HasValue);
    }

    [Fact]
    public void The_settings_print_no_api_key()
    {
        var settings = EnvironmentSettings.Resolve(new SettingsOverrides { ApiKey = "sk_pp_supersecretvalue1234", ProjectName = "p" }, new Hashtable());
        var text = settings.ToString();
        Assert.DoesNotContain("supersecret", text);
        Assert.Contains("***1234", text);
        Assert.Contains("ProjectName = p", text);
        var given = new SettingsOverrides { ApiKey = "sk_pp_supersecretvalue1234", Endpoint = "https://h" }.ToString();
        Assert.DoesNotContain("supersecret", given);
        Assert.Contains("Endpoint = https://h", given);
    }

    [Fact]
    public void The_spool_is_on_by_default_and_off_by_environment()
    {
        var on = EnvironmentSettings.Resolve(new SettingsOverrides(), new Hashtable());
        var off = EnvironmentSettings.Resolve(new SettingsOverrides(), new Hashtable { [SettingNames.SpoolDirectory] = "off" });
        var there = EnvironmentSettings.Resolve(new SettingsOverrides(), new Hashtable { [SettingNames.SpoolDirectory] = "/var/spool/pp" });

        Assert.True(on.Spool);
        Assert.True(on.SpoolDirectory.IsNone);
        Assert.False(off.Spool);
        Assert.Equal("/var/spool/pp", there.SpoolDirectory.IfNone(""));
    }
}
