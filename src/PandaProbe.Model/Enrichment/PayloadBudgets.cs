using System.Globalization;
using PandaProbe.Model.Settings;

namespace PandaProbe.Model.Enrichment;

/// <summary>
/// How many characters of recorded values leave the process, applied on the export side before any request is built
/// (<see cref="Enricher"/>): each input, output and metadata value keeps at most <see cref="MaxValueChars"/>; the input
/// and output of one span together at most <see cref="MaxSpanChars"/>; the inputs and outputs of a trace and all its
/// spans together at most <see cref="MaxTraceChars"/>. Sizes are characters of the value's JSON text
/// (<see cref="Payload.Length"/>).
/// </summary>
/// <param name="MaxValueChars">The most characters one input, output or metadata value keeps.</param>
/// <param name="MaxSpanChars">The most characters the input and output of one span keep together.</param>
/// <param name="MaxTraceChars">The most characters the inputs and outputs of one trace and its spans keep together.</param>
internal sealed record PayloadBudgets(int MaxValueChars, int MaxSpanChars, int MaxTraceChars)
{
    /// <summary>The smallest budget accepted: room for a cut value's start, its truncation marker and its JSON shape.</summary>
    public const int MinChars = 1024;

    /// <summary>
    /// 4 Mi characters per value and per span, 16 Mi per trace. A value is not cut below the span's budget unless the
    /// user asks: a conversation the integrations record whole (over the 1 MiB capture cap of other values) stays whole.
    /// </summary>
    public static PayloadBudgets Default { get; } = new(Limits.MaxSpanPayloadChars, Limits.MaxSpanPayloadChars, Limits.MaxTracePayloadChars);

    /// <summary>
    /// Why these budgets cannot be used, each naming the option and its environment variable (empty when they can):
    /// each must be at least <see cref="MinChars"/>, and value ≤ span ≤ trace.
    /// </summary>
    public Seq<string> Problems()
    {
        var problems = new List<string>();
        void Floor(int value, string option, string variable)
        {
            if (value < MinChars)
                problems.Add($"{option} ({variable}): {Show(value)} is below the minimum {Show(MinChars)}.");
        }
        Floor(MaxValueChars, "MaxValueChars", SettingNames.MaxValueChars);
        Floor(MaxSpanChars, "MaxSpanChars", SettingNames.MaxSpanChars);
        Floor(MaxTraceChars, "MaxTraceChars", SettingNames.MaxTraceChars);
        if (problems.Count > 0) return problems.ToSeq().Strict();   // the order is checked between usable budgets only
        if (MaxValueChars > MaxSpanChars)
            problems.Add($"MaxValueChars ({SettingNames.MaxValueChars}): {Show(MaxValueChars)} is more than MaxSpanChars {Show(MaxSpanChars)}.");
        if (MaxSpanChars > MaxTraceChars)
            problems.Add($"MaxSpanChars ({SettingNames.MaxSpanChars}): {Show(MaxSpanChars)} is more than MaxTraceChars {Show(MaxTraceChars)}.");
        return problems.ToSeq().Strict();
    }

    /// <summary>
    /// The budgets from the values given (a null one is unset): an unset trace budget is the default, an unset span
    /// budget the default or the trace budget if smaller, an unset value budget the default or the span budget if
    /// smaller (a budget below <see cref="MinChars"/> counts as that for this); so setting one budget low never
    /// conflicts with the defaults of the others. Not validated (<see cref="Problems"/>).
    /// </summary>
    public static PayloadBudgets Resolve(int? value, int? span, int? trace)
    {
        var d = Default;
        var t = trace ?? d.MaxTraceChars;
        var s = span ?? Math.Min(d.MaxSpanChars, Math.Max(t, MinChars));
        var v = value ?? Math.Min(d.MaxValueChars, Math.Max(s, MinChars));
        return new PayloadBudgets(v, s, t);
    }

    static string Show(int n) => n.ToString(CultureInfo.InvariantCulture);
}
