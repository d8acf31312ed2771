using FsCheck;
using FsCheck.Fluent;
using PandaProbe.Model;
using PandaProbe.Model.Pricing;
using Xunit;

namespace PandaProbe.Properties.ReferenceSystems;

public class CostProperties
{
    static readonly string[] Models = PriceCatalog.Default.Models.ToArray();

    static long At(long[] plan, int i) => plan is { Length: > 0 } ? plan[i % plan.Length] : 0;

    static TokenUsage Usage(long prompt, long completion, long cacheRead, long cacheWrite, long reasoning) =>
        TokenUsage.Of(prompt, completion,
            [(TokenUsage.CacheReadKey, cacheRead), (TokenUsage.CacheCreationKey, cacheWrite),
             (TokenUsage.ReasoningKey, reasoning)]);

    static ModelPrice PriceAt(int index) =>
        PriceCatalog.Default.Find(Models[Plans.Abs(index) % Models.Length]).IfNone(() => throw new InvalidOperationException());

    [TraceProperty]
    public Property Cost_is_never_negative_and_always_finite_and_its_components_add_up(long[] plan, int model)
    {
        var usage = Usage(At(plan, 0), At(plan, 1), At(plan, 2), At(plan, 3), At(plan, 4));
        var cost = CostCalculator.Compute(PriceAt(model), usage);
        var parts = cost.Components.Remove(Cost.TotalKey).Values.ToArray();
        return (cost.Total >= 0 && double.IsFinite(cost.Total)).Label($"total {cost.Total}")
            .And(parts.All(p => p > 0 && double.IsFinite(p)).Label("components positive"))
            .And((Math.Abs(parts.Sum() - cost.Total) <= 1e-9 * Math.Max(1, cost.Total)).Label("components add up"));
    }

    [TraceProperty]
    public Property Cost_is_monotone_in_token_counts(int[] plan, int model)
    {
        long N(int i) => plan is { Length: > 0 } ? Plans.Abs(plan[i % plan.Length]) : 0;
        var price = PriceAt(model);
        var (p, c, r, w, z, d) = (N(0), N(1), N(2), N(3), N(4), N(5) + 1);
        double Total(long prompt, long completion, long read, long write, long reasoning) =>
            CostCalculator.Compute(price, Usage(prompt, completion, read, write, reasoning)).Total;
        var baseline = Total(p, c, r, w, z);

        return (Total(p + d, c, r, w, z) >= baseline).Label("more prompt tokens")
            .And((Total(p, c + d, r, w, z) >= baseline).Label("more completion tokens"))
            .And((Total(p + d, c, r + d, w, z) >= baseline).Label("more cached prompt tokens"))
            .And((Total(p + d, c, r, w + d, z) >= baseline).Label("more cache-written prompt tokens"))
            .And((Total(p, c + d, r, w, z + d) >= baseline).Label("more reasoning tokens"))
            .And((r + w + z > 0 || price.Input + price.Output == 0 || Total(p + d, c + d, r, w, z) > baseline)
                .Label("strictly more without cache or reasoning counts"));
    }

    [TraceProperty]
    public Property Catalogue_lookup_agrees_with_direct_pricing_for_every_dated_name(int model, int prompt, int completion)
    {
        var name = Models[Plans.Abs(model) % Models.Length];
        var usage = TokenUsage.Of(Plans.Abs(prompt), Plans.Abs(completion));
        var direct = CostCalculator.Compute(PriceAt(model), usage);
        var dated = CostCalculator.Compute(PriceCatalog.Default, name + "-2025-01-31", usage);
        return (dated.IfNone(Cost.Of(-1)) == direct).Label(name);
    }
}
