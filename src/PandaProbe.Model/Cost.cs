namespace PandaProbe.Model;

/// <summary>
/// The cost of one span in US dollars, keyed by wire names: <c>total</c> plus any extra components
/// (<c>input</c>, <c>output</c>, …). Setting a cost replaces it whole. All values are finite.
/// </summary>
/// <remarks>
/// A cost made by <see cref="Of"/> with a finite total and no extras (what a setter records on the caller's thread)
/// keeps the total as a number and builds <see cref="Components"/> only when it is read. Equality is by
/// <see cref="Components"/> whatever the form.
/// </remarks>
public sealed record Cost
{
    /// <summary>The wire key of the total.</summary>
    public const string TotalKey = "total";

    readonly double total;   // the total-only form
    Built? components;       // the map: as given, or built from the total when first read

    sealed class Built(Map<string, double> value)
    {
        public readonly Map<string, double> Value = value;
    }

    /// <summary>A cost with exactly these components.</summary>
    /// <param name="Components">Every component, by wire key.</param>
    public Cost(Map<string, double> Components) => components = new Built(Components);

    Cost(double total) => this.total = total;

    /// <summary>Every component, by wire key.</summary>
    public Map<string, double> Components
    {
        get => (components ??= new Built(Map<string, double>().Add(TotalKey, total))).Value;
        init => components = new Built(value);
    }

    /// <summary>The components, as a positional record gives them.</summary>
    public void Deconstruct(out Map<string, double> Components) => Components = this.Components;

    /// <summary>A cost with a total and optional extra components (non-finite values are left out).</summary>
    public static Cost Of(double total, IEnumerable<(string Key, double Value)>? extra = null)
    {
        var none = extra is null || extra is ICollection<(string, double)> { Count: 0 };
        if (none && double.IsFinite(total)) return new Cost(total);
        var map = Map<string, double>();
        if (double.IsFinite(total)) map = map.AddOrUpdate(TotalKey, total);
        if (extra is not null)
            foreach (var (k, v) in extra)
                if (k is not null && k != TotalKey && double.IsFinite(v)) map = map.AddOrUpdate(k, v);
        return new Cost(map);
    }

    bool IsTotalOnly => components is null;

    /// <summary>The total, when the cost has no other component (without building <see cref="Components"/>).</summary>
    internal bool TryGetTotalOnly(out double onlyTotal)
    {
        onlyTotal = total;
        return IsTotalOnly;
    }

    /// <summary><c>true</c> when every component is finite (a total-only cost always is: <see cref="Of"/> keeps no other).</summary>
    internal bool AllFinite => IsTotalOnly || !Components.Exists(static kv => !double.IsFinite(kv.Value));

    /// <summary>The <c>total</c> component (0 when absent).</summary>
    public double Total => IsTotalOnly ? total : Components.Find(TotalKey).IfNone(0d);

    /// <summary>Equal when the components are equal.</summary>
    public bool Equals(Cost? other) =>
        ReferenceEquals(this, other)
        || other is not null && (IsTotalOnly && other.IsTotalOnly ? total.Equals(other.total) : Components.Equals(other.Components));

    /// <inheritdoc />
    public override int GetHashCode() => Components.GetHashCode();
}
