using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PandaProbe.Model.Delivery;

namespace PandaProbe.Spool;

/// <summary>A published spool file: its path, and what its name says (when it was written, how many items it holds).</summary>
/// <param name="FullPath">The file's path.</param>
/// <param name="Written">When it was written (UTC ticks).</param>
/// <param name="Items">How many items it holds.</param>
/// <param name="Bytes">Its size.</param>
internal sealed record SpoolFile(string FullPath, long Written, int Items, long Bytes);

/// <summary>
/// A directory of requests that could not be delivered yet, replayed oldest first by this or a later process. Each
/// request is one file, written under a temporary name (flushed to the disk itself when <see cref="FlushToDisk"/>),
/// then published by an atomic rename, so a crash leaves either a whole file or an unpublished temporary one; every file ends with a SHA-256 of its content, so
/// a file torn or damaged on disk is detected, counted and deleted, never replayed. A file is leased before it is sent
/// by renaming it to a name carrying the lease's expiry and its holder's process id: a rename succeeds for one process
/// only, so two processes sharing the directory never send the same file at once. A lease is free again once it
/// expires, or at once when its holder is no longer running on this machine (a crash, a kill), including a holder that
/// had the same process id as this one (a restarted container). The directory is bounded by bytes (the oldest files make room, counted) and by age (older files are
/// deleted when met, counted). No timer and no thread of its own: every method runs on its caller (the export side).
/// </summary>
internal sealed class FileSpool
{
    const string Extension = ".spool";
    const string LeaseMarker = ".lease-";
    const string Temporary = ".tmp";
    static ReadOnlySpan<byte> Magic => "PPSPOOL2"u8;
    const int HashLength = 32;

    readonly TimeProvider time;
    readonly object gate = new();
    // The leases this process holds, across every spool instance in it (a lease naming this process id but absent here
    // was left by an earlier process that had the same id).
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> held = new(StringComparer.Ordinal);
    long sequence;
    long knownBytes = -1;   // the directory's size as last scanned plus writes since; -1 until scanned

    /// <param name="directory">Where the files live (created when needed).</param>
    /// <param name="maxBytes">The most bytes kept; the oldest files are deleted to make room.</param>
    /// <param name="maxAge">How long a file is kept before it is deleted unsent.</param>
    /// <param name="time">The clock of file ages and lease expiries.</param>
    /// <param name="flushToDisk">
    /// Flush each file to the disk before publishing it, so it survives an operating-system crash or a power loss too
    /// (a process that crashes or is killed loses nothing either way: its written files are in the system's cache).
    /// </param>
    public FileSpool(string directory, long maxBytes, TimeSpan maxAge, TimeProvider? time = null, bool flushToDisk = false)
    {
        FlushToDisk = flushToDisk;
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        MaxBytes = maxBytes;
        MaxAge = maxAge;
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>The spool's directory.</summary>
    public string Directory { get; }

    /// <summary>The most bytes kept.</summary>
    public long MaxBytes { get; }

    /// <summary>How long a file is kept.</summary>
    public TimeSpan MaxAge { get; }

    /// <summary>Whether each file is flushed to the disk itself before it is published.</summary>
    public bool FlushToDisk { get; }

    /// <summary>
    /// Writes <paramref name="entries"/> (requests to replay in this order) as one file and publishes it. To stay
    /// within <see cref="MaxBytes"/> the oldest unleased files are deleted first; <paramref name="evicted"/> says how
    /// many items they held. Never throws: false, with the reason, when nothing could be written (nothing was published).
    /// </summary>
    /// <param name="entries">The requests, at least one.</param>
    /// <param name="evicted">Items deleted to make room.</param>
    /// <param name="error">Why nothing was written.</param>
    /// <param name="written">The write time to name the file by (to keep a rewritten remainder in its place); now when null.</param>
    public bool TryWrite(IReadOnlyList<PlatformRequest> entries, out int evicted, out string? error, long? written = null)
    {
        evicted = 0;
        error = null;
        try
        {
            if (Prepare(entries, ref evicted, ref error) is not { } bytes) return false;
            var final = Path.Combine(Directory, NewName(written ?? time.GetUtcNow().UtcTicks, entries.Sum(e => e.Items)));
            var temp = final + Temporary;
            WriteNew(temp, bytes);
            File.Move(temp, final);
            lock (gate) if (knownBytes >= 0) knownBytes += bytes.Length;
            return true;
        }
        catch (Exception ex)
        {
            error = $"{ex.GetType().Name}: {ex.Message}";
            return false;
        }
    }

    /// <summary>Writes one request as a file (see <see cref="TryWrite(IReadOnlyList{PlatformRequest}, out int, out string?, long?)"/>).</summary>
    public bool TryWrite(PlatformRequest entry, out int evicted, out string? error) => TryWrite([entry], out evicted, out error);

    /// <summary>The file's bytes, room made for them; null (with the reason) when they cannot fit the spool at all.</summary>
    byte[]? Prepare(IReadOnlyList<PlatformRequest> entries, ref int evicted, ref string? error)
    {
        var bytes = Encode(entries);
        if (bytes.Length > MaxBytes)
        {
            error = $"the request(s) ({bytes.Length} bytes) are larger than the spool ({MaxBytes} bytes)";
            return null;
        }
        System.IO.Directory.CreateDirectory(Directory);
        evicted = MakeRoom(bytes.Length);
        return bytes;
    }

    /// <summary>Creates <paramref name="path"/> (it must not exist) with <paramref name="bytes"/>, flushed to disk when asked.</summary>
    void WriteNew(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        stream.Write(bytes);
        stream.Flush(flushToDisk: FlushToDisk);
    }

    string NewName(long written, int items) => string.Create(CultureInfo.InvariantCulture,
        $"{written:D19}-{Interlocked.Increment(ref sequence):D10}-{Environment.ProcessId}-{items}{Extension}");

    /// <summary>
    /// The files ready to send, oldest first: published files and leases that expired (their holder crashed). Files
    /// older than <see cref="MaxAge"/> are deleted and their items added to <paramref name="expired"/>. Never throws.
    /// </summary>
    public IReadOnlyList<SpoolFile> Ready(out int expired)
    {
        expired = 0;
        var ready = new List<SpoolFile>();
        if (!System.IO.Directory.Exists(Directory)) return ready;
        var now = time.GetUtcNow().UtcTicks;
        long total = 0;
        try
        {
            foreach (var info in new DirectoryInfo(Directory).EnumerateFiles("*" + Extension + "*"))
            {
                if (!Parse(info.Name, out var written, out var items, out var leaseExpiry, out var holder)) continue;
                long length;
                try { length = info.Length; } catch (IOException) { continue; }
                var leasedNow = leaseExpiry is { } until && until > now && HolderAlive(info.FullName, holder);
                if (!leasedNow && now - written > MaxAge.Ticks && TryDelete(info.FullName))
                {
                    expired += items;
                    continue;
                }
                total += length;
                if (leasedNow) continue;
                ready.Add(new SpoolFile(info.FullName, written, items, length));
            }
            DeleteStaleTemporaries();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SelfLog.Write($"reading the spool directory failed: {ex.Message}");
        }
        lock (gate) knownBytes = total;
        ready.Sort(static (a, b) => string.CompareOrdinal(Path.GetFileName(a.FullPath), Path.GetFileName(b.FullPath)));
        return ready;
    }

    /// <summary>True when the directory holds no published file (leased ones included).</summary>
    public bool IsEmpty
    {
        get
        {
            try
            {
                return !System.IO.Directory.Exists(Directory)
                    || !System.IO.Directory.EnumerateFiles(Directory, "*" + Extension + "*").Any(f => Parse(Path.GetFileName(f), out _, out _, out _, out _));
            }
            catch (Exception) { return true; }
        }
    }

    /// <summary>
    /// The items in the spool's files (published or leased, by any process), read from the files' names. Never throws
    /// (0 when the directory cannot be read).
    /// </summary>
    public long ItemsWaiting
    {
        get
        {
            try
            {
                if (!System.IO.Directory.Exists(Directory)) return 0;
                long items = 0;
                foreach (var f in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension + "*"))
                    if (Parse(Path.GetFileName(f), out _, out var n, out _, out _)) items += n;
                return items;
            }
            catch (Exception) { return 0; }
        }
    }

    /// <summary>
    /// True when the directory holds a file this process does not hold (published, or leased by another process): work
    /// a replay may get to later. The write-ahead copies of this process's traces in flight do not count.
    /// </summary>
    public bool HasWorkForReplay
    {
        get
        {
            try
            {
                return System.IO.Directory.Exists(Directory)
                    && System.IO.Directory.EnumerateFiles(Directory, "*" + Extension + "*")
                        .Any(f => Parse(Path.GetFileName(f), out _, out _, out _, out _) && !held.ContainsKey(f));
            }
            catch (Exception) { return false; }
        }
    }

    /// <summary>Takes <paramref name="file"/> for <paramref name="duration"/>; null when another process took it first.</summary>
    public SpoolLease? TryLease(SpoolFile file, TimeSpan duration)
    {
        var leased = LeaseName(Base(file.FullPath), duration);
        // Held before the rename, so no thread of this process sees the new name as free; a name this process already
        // holds (the same file leased at the same instant) means another thread has it.
        if (!held.TryAdd(leased, 0)) return null;
        try
        {
            File.Move(file.FullPath, leased);
            return new SpoolLease(leased, file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            held.TryRemove(leased, out _);
            return null;   // gone: another process leased or finished it
        }
    }

    /// <summary>
    /// Reads a leased file's requests, in order; null when it is torn or damaged (it is then deleted: it must never be
    /// replayed).
    /// </summary>
    public IReadOnlyList<PlatformRequest>? Read(SpoolLease lease)
    {
        var entries = Read(lease, out var damaged);
        if (damaged) Complete(lease);
        return entries;
    }

    /// <summary>
    /// Reads a leased file's requests, in order. Null with <paramref name="damaged"/> when the file is torn or altered
    /// (it stays leased: the caller counts its loss, then deletes it with <see cref="Complete"/>, so no one sees it gone
    /// before it is counted); null without it when it could not be read now (its lease is released).
    /// </summary>
    public IReadOnlyList<PlatformRequest>? Read(SpoolLease lease, out bool damaged)
    {
        damaged = false;
        try
        {
            var bytes = File.ReadAllBytes(lease.Path);
            if (Decode(bytes) is { } entries) return entries;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SelfLog.Write($"reading spool file {Path.GetFileName(lease.Path)} failed: {ex.Message}");
            Release(lease);
            return null;
        }
        damaged = true;
        return null;
    }

    /// <summary>
    /// Writes <paramref name="entries"/> as one file, already leased by this process for <paramref name="duration"/>
    /// (the write-ahead copy of a trace about to be sent): no replay sends it while this process lives, and a replay
    /// sends it once this process is gone. Null, with the reason, when it could not be written.
    /// </summary>
    public SpoolLease? TryWriteLeased(IReadOnlyList<PlatformRequest> entries, TimeSpan duration, out int evicted, out string? error)
    {
        if (entries.Count == 0)
        {
            (evicted, error) = (0, "nothing to write");
            return null;
        }
        evicted = 0;
        error = null;
        try
        {
            if (Prepare(entries, ref evicted, ref error) is not { } bytes) return null;
            var now = time.GetUtcNow().UtcTicks;
            var items = entries.Sum(e => e.Items);
            var final = Path.Combine(Directory, NewName(now, items));
            var leased = LeaseName(final, duration);
            // Written under its leased name at once (no rename): no replay takes it while this process lives, and one
            // torn by a crash mid-write fails its checksum and is never replayed.
            held[leased] = 0;
            try { WriteNew(leased, bytes); }
            catch
            {
                TryDelete(leased);   // a partial copy must not be left for a replay to count as damaged
                held.TryRemove(leased, out _);
                throw;
            }
            lock (gate) if (knownBytes >= 0) knownBytes += bytes.Length;
            return new SpoolLease(leased, new SpoolFile(final, now, items, bytes.Length));
        }
        catch (Exception ex)
        {
            error = $"{ex.GetType().Name}: {ex.Message}";
            return null;
        }
    }

    /// <summary>
    /// Part of a leased file was delivered: the rest is written as a new file in the same place in the order (named by
    /// the same write time) and the leased file deleted. When the rest cannot be written the whole file is released.
    /// </summary>
    /// <returns>Items deleted to make room for the rest (to be counted as lost).</returns>
    public int Rewrite(SpoolLease lease, IReadOnlyList<PlatformRequest> remaining)
    {
        var evicted = 0;
        if (remaining.Count == 0 || TryWrite(remaining, out evicted, out _, lease.File.Written)) Complete(lease);
        else Release(lease);
        return evicted;
    }

    /// <summary>The leased request was delivered or given up on: deletes its file.</summary>
    public void Complete(SpoolLease lease)
    {
        // Deleted before it leaves the held set: no thread of this process may see it as a free lease in between.
        if (TryDelete(lease.Path)) lock (gate) if (knownBytes >= 0) knownBytes -= lease.File.Bytes;
        held.TryRemove(lease.Path, out _);
    }

    /// <summary>The leased request could not be sent now: publishes it again under its original name.</summary>
    public void Release(SpoolLease lease)
    {
        held.TryRemove(lease.Path, out _);
        try { File.Move(lease.Path, Base(lease.Path)); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SelfLog.Write($"releasing spool file {Path.GetFileName(lease.Path)} failed: {ex.Message}");
        }
    }

    /// <summary>Deletes the oldest unleased files until <paramref name="incoming"/> more bytes fit; the items they held.</summary>
    int MakeRoom(long incoming)
    {
        long size;
        lock (gate) size = knownBytes;
        if (size < 0 || size + incoming > MaxBytes)
        {
            var files = Ready(out var expired);
            lock (gate) size = knownBytes;
            var evicted = expired;
            foreach (var file in files)
            {
                if (size + incoming <= MaxBytes) break;
                if (!TryDelete(file.FullPath)) continue;
                size -= file.Bytes;
                evicted += file.Items;
            }
            lock (gate) knownBytes = size;
            return evicted;
        }
        return 0;
    }

    void DeleteStaleTemporaries()
    {
        // The file system's clock, not the injected one: it stamped the files.
        var now = DateTime.UtcNow.Ticks;
        foreach (var temp in System.IO.Directory.EnumerateFiles(Directory, "*" + Temporary))
        {
            try
            {
                // A temporary file is written and renamed within a call; one an hour old was left by a crash.
                if (now - File.GetLastWriteTimeUtc(temp).Ticks > TimeSpan.TicksPerHour) File.Delete(temp);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }

    string LeaseName(string published, TimeSpan duration) =>
        published + LeaseMarker + string.Create(CultureInfo.InvariantCulture,
            $"{time.GetUtcNow().UtcTicks + duration.Ticks:D19}-{Environment.ProcessId}");

    /// <summary>
    /// Whether a lease's holder still runs: a lease without a process id counts as held (until it expires); this
    /// process holds only the leases it took; another process id holds while a process with that id runs.
    /// </summary>
    bool HolderAlive(string path, int? holder)
    {
        if (holder is not { } pid) return true;
        if (pid == Environment.ProcessId) return held.ContainsKey(path);
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }          // no such process
        catch (InvalidOperationException) { return false; }
        catch (Exception) { return true; }                   // unknown: trust the expiry
    }

    static bool TryDelete(string path)
    {
        try
        {
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>The published name of a (possibly leased) file.</summary>
    static string Base(string path)
    {
        var at = path.LastIndexOf(LeaseMarker, StringComparison.Ordinal);
        return at < 0 ? path : path[..at];
    }

    /// <summary>
    /// Reads a file name: <c>{ticks}-{sequence}-{pid}-{items}.spool</c>, optionally followed by
    /// <c>.lease-{expiry ticks}-{holder pid}</c>. False for anything else (temporary files included).
    /// </summary>
    internal static bool Parse(string name, out long written, out int items, out long? leaseExpiry, out int? holder)
    {
        written = 0;
        items = 0;
        leaseExpiry = null;
        holder = null;
        var ext = name.IndexOf(Extension, StringComparison.Ordinal);
        if (ext <= 0) return false;
        var rest = name.AsSpan(ext + Extension.Length);
        if (!rest.IsEmpty)
        {
            if (!rest.StartsWith(LeaseMarker, StringComparison.Ordinal)) return false;
            var lease = rest[LeaseMarker.Length..];
            var split = lease.IndexOf('-');
            var expiryText = split < 0 ? lease : lease[..split];
            if (!long.TryParse(expiryText, NumberStyles.None, CultureInfo.InvariantCulture, out var until)) return false;
            if (split >= 0)
            {
                if (!int.TryParse(lease[(split + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return false;
                holder = pid;
            }
            leaseExpiry = until;
        }
        var stem = name.AsSpan(0, ext);
        var dash = stem.IndexOf('-');
        var lastDash = stem.LastIndexOf('-');
        return dash > 0 && lastDash > dash
            && long.TryParse(stem[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out written)
            && int.TryParse(stem[(lastDash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out items);
    }

    /// <summary>
    /// The file's bytes: <c>PPSPOOL2</c>, the number of requests, then for each its kind, item count, route, delivery
    /// id, trace id and body (each text length-prefixed), then a SHA-256 of everything before it.
    /// </summary>
    internal static byte[] Encode(IReadOnlyList<PlatformRequest> entries)
    {
        var parts = entries.Select(e => (e, Path: Encoding.UTF8.GetBytes(e.Path), Id: Encoding.UTF8.GetBytes(e.DeliveryId),
            Trace: Encoding.UTF8.GetBytes(e.TraceId))).ToList();
        var length = Magic.Length + 4 + parts.Sum(p => 1 + 4 + 4 * 4 + p.Path.Length + p.Id.Length + p.Trace.Length + p.e.Body.Length) + HashLength;
        var bytes = new byte[length];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        var at = Magic.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], parts.Count);
        at += 4;
        foreach (var p in parts)
        {
            span[at++] = (byte)p.e.Kind;
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], p.e.Items);
            at += 4;
            foreach (var part in (ReadOnlySpan<byte[]>)[p.Path, p.Id, p.Trace, p.e.Body])
            {
                BinaryPrimitives.WriteInt32LittleEndian(span[at..], part.Length);
                at += 4;
                part.CopyTo(span[at..]);
                at += part.Length;
            }
        }
        SHA256.HashData(span[..at], span[at..]);
        return bytes;
    }

    /// <summary>One request as a file's bytes.</summary>
    internal static byte[] Encode(PlatformRequest entry) => Encode([entry]);

    /// <summary>The requests in <paramref name="bytes"/>; null when they are not a whole, undamaged spool file.</summary>
    internal static IReadOnlyList<PlatformRequest>? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length + 4 + HashLength || !bytes.StartsWith(Magic)) return null;
        var content = bytes[..^HashLength];
        Span<byte> hash = stackalloc byte[HashLength];
        SHA256.HashData(content, hash);
        if (!hash.SequenceEqual(bytes[^HashLength..])) return null;
        var at = Magic.Length;
        var count = BinaryPrimitives.ReadInt32LittleEndian(content[at..]);
        at += 4;
        if (count < 1) return null;
        var entries = new List<PlatformRequest>(Math.Min(count, 4096));
        for (var e = 0; e < count; e++)
        {
            if (content.Length - at < 5) return null;
            var kind = (RequestKind)content[at++];
            if (kind is not (RequestKind.Trace or RequestKind.AddSpans or RequestKind.Score)) return null;
            var items = BinaryPrimitives.ReadInt32LittleEndian(content[at..]);
            at += 4;
            var parts = new byte[4][];
            for (var i = 0; i < parts.Length; i++)
            {
                if (content.Length - at < 4) return null;
                var n = BinaryPrimitives.ReadInt32LittleEndian(content[at..]);
                at += 4;
                if (n < 0 || n > content.Length - at) return null;
                parts[i] = content.Slice(at, n).ToArray();
                at += n;
            }
            entries.Add(new PlatformRequest(kind, Encoding.UTF8.GetString(parts[0]), Encoding.UTF8.GetString(parts[1]),
                Encoding.UTF8.GetString(parts[2]), items, parts[3]));
        }
        return at == content.Length ? entries : null;
    }
}

/// <summary>A spool file held by this process until it is completed or released.</summary>
/// <param name="Path">The leased file's current path.</param>
/// <param name="File">The file as it was listed.</param>
internal sealed record SpoolLease(string Path, SpoolFile File);
