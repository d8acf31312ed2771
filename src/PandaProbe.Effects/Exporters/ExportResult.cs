namespace PandaProbe.Exporters;

/// <summary>
/// What an export call achieved. Exporters return this instead of throwing: how many items of the batch were
/// delivered, how many were given up on, and why.
/// </summary>
/// <param name="Exported">Items delivered.</param>
/// <param name="Failed">Items given up on (after the exporter's own retries).</param>
/// <param name="Error">Why items failed, when some did.</param>
public readonly record struct ExportResult(int Exported, int Failed, string? Error)
{
    /// <summary>
    /// Items neither delivered nor given up on: kept on disk (the platform exporter's spool) to be delivered later.
    /// </summary>
    public int Deferred { get; init; }

    /// <summary><c>true</c> when nothing failed.</summary>
    public bool IsSuccess => Failed == 0;

    /// <summary>Every one of <paramref name="count"/> items was delivered.</summary>
    public static ExportResult Success(int count) => new(count, 0, null);

    /// <summary>All <paramref name="count"/> items failed for <paramref name="error"/>.</summary>
    public static ExportResult Failure(int count, string error) => new(0, count, error);
}
