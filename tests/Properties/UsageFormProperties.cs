using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using PandaProbe.Model;
using static LanguageExt.Prelude;

namespace PandaProbe.Properties;

/// <summary>
/// Token usage and cost recorded by a setter keep their numbers and build their maps only when read (issue 22). The
/// two forms must be one value: equal, with equal hashes, the same counts and the same totals, whatever is read first.
/// </summary>
public class UsageFormProperties
{
    static TokenUsage AsMap(long prompt, long completion) =>
        new(Map<string, long>().Add(TokenUsage.PromptKey, prompt).Add(TokenUsage.CompletionKey, completion));

    [Property(MaxTest = 300)]
    public bool Usage_made_from_numbers_is_the_usage_made_from_its_map(long prompt, long completion, bool readFirst)
    {
        var numbers = TokenUsage.Of(prompt, completion);
        var map = AsMap(prompt, completion);
        var counts = readFirst ? numbers.Counts : default;   // the built map must not change what the value is
        return numbers.Equals(map) && map.Equals(numbers) && numbers.GetHashCode() == map.GetHashCode()
            && numbers.Prompt == prompt && numbers.Completion == completion && numbers.Total == prompt + completion
            && numbers.Counts.Equals(map.Counts) && (!readFirst || counts.Equals(map.Counts))
            && numbers[TokenUsage.PromptKey] == prompt && numbers[TokenUsage.TotalKey] == 0
            && (numbers with { Counts = map.Counts.Add("x", 1) }).Equals(numbers) == false;
    }

    [Property(MaxTest = 300)]
    public bool Usages_with_other_counts_differ(long prompt, long completion, long other) =>
        other == prompt || TokenUsage.Of(other, completion) != TokenUsage.Of(prompt, completion)
        && TokenUsage.Of(other, completion) != AsMap(prompt, completion);

    [Property(MaxTest = 300)]
    public bool A_total_only_cost_is_the_cost_made_from_its_map(NormalFloat total, NormalFloat other)
    {
        var numbers = Cost.Of(total.Get);
        var map = new Cost(Map<string, double>().Add(Cost.TotalKey, total.Get));
        return numbers.Equals(map) && map.Equals(numbers) && numbers.GetHashCode() == map.GetHashCode()
            && numbers.Total == total.Get && numbers.Components.Equals(map.Components)
            && (other.Get == total.Get || !Cost.Of(other.Get).Equals(numbers))
            && Cost.Of(double.NaN).Components.IsEmpty && Cost.Of(double.NaN).Total == 0;
    }
}
