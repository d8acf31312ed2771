namespace PandaProbe.Model;

/// <summary>
/// The cost of one span in US dollars, keyed by wire names: <c>total</c> plus any extra components
/// (<c>input</c>, <c>output</c>, …). Setting a cost replaces it whole. All values are finite.
/// </summary>
/// <param name="Components">Every component, by wire key.</param>
public sealed record Cost(Map<string, double> Components)
{
    /// <summary>The wire key of the total.</summary>
    public const string TotalKey = "total";

    /// <summary>A cost with a total and optional extra components (non-finite values are left out).</summary>
    public static Cost Of(double total, IEnumerable<(string Key, double Value)>? extra = null)
    {
        var map = Map<string, double>();
        if (double.IsFinite(total)) map = map.AddOrUpdate(TotalKey, total);
        if (extra is not null)
            foreach (var (k, v) in extra)
                if (k is not null && k != TotalKey && double.IsFinite(v)) map = map.AddOrUpdate(k, v);
        return new Cost(map);
    }

    /// <summary>The <c>total</c> component (0 when absent).</summary>
    public double Total => Components.Find(TotalKey).IfNone(0d);
}
