using System.Globalization;

namespace PandaProbe.Model.Delivery;

/// <summary>Reads an HTTP <c>Retry-After</c> header: delay-seconds or an HTTP-date, capped.</summary>
internal static class RetryAfter
{
    private static readonly string[] DateFormats =
    [
        "r",                                  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        "dddd, dd-MMM-yy HH:mm:ss 'GMT'",     // RFC 850
        "ddd MMM d HH:mm:ss yyyy",            // asctime
        "ddd MMM dd HH:mm:ss yyyy",
    ];

    /// <summary>
    /// The delay a <c>Retry-After</c> value asks for: a non-negative number of seconds, or an HTTP-date (a date in
    /// the past means "now", zero). The result never exceeds <paramref name="cap"/>. None when the header is absent
    /// or malformed (negative, not a number, not a date).
    /// </summary>
    /// <param name="header">The header value, if any.</param>
    /// <param name="now">The current time, for HTTP-dates.</param>
    /// <param name="cap">The longest delay honoured.</param>
    public static Option<TimeSpan> Parse(string? header, DateTimeOffset now, TimeSpan cap)
    {
        if (string.IsNullOrWhiteSpace(header)) return None;
        var text = header.Trim();
        var limit = cap < TimeSpan.Zero ? TimeSpan.Zero : cap;
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            if (double.IsNaN(seconds) || double.IsInfinity(seconds)) return None;
            return seconds >= limit.TotalSeconds ? limit : TimeSpan.FromSeconds(seconds);
        }
        if (DateTimeOffset.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowInnerWhite, out var date))
        {
            var wait = date - now;
            return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait >= limit ? limit : wait;
        }
        return None;
    }
}
