using FsCheck.Xunit;
using LanguageExt;
using PandaProbe.Model;
using static LanguageExt.Prelude;

namespace PandaProbe.Properties;

/// <summary>Maps built in one pass (<see cref="Maps"/>) are the maps that adding keys one at a time gives.</summary>
public class MapsProperties
{
    static readonly string[] Keys = ["a", "B", "_c", "a.b", "a_b", "z", "Z", "é", "gen_ai.x", ""];

    static List<(string, int)> Entries(byte[] plan) => plan.Select((b, i) => (Keys[b % Keys.Length], i)).ToList();

    static Map<string, int> OneAtATime(IEnumerable<(string Key, int Value)> entries) =>
        entries.Aggregate(Map<string, int>(), (m, kv) => m.AddOrUpdate(kv.Key, kv.Value));

    [Property(MaxTest = 300)]
    public bool Building_keeps_the_last_value_of_each_key(byte[] plan) =>
        Maps.Build(Entries(plan)).Equals(OneAtATime(Entries(plan)));

    [Property(MaxTest = 300)]
    public bool Merging_lets_every_incoming_key_win(byte[] existing, byte[] incoming)
    {
        var (e, i) = (OneAtATime(Entries(existing)), OneAtATime(Entries(incoming).Select(kv => (kv.Item1, kv.Item2 + 1000))));
        var merged = Maps.Merge(e, i);
        return merged.Equals(OneAtATime(e.Map(kv => (kv.Key, kv.Value)).Concat(i.Map(kv => (kv.Key, kv.Value)))))
            && merged.Keys.SequenceEqual(OneAtATime(e.Concat(i)).Keys);
    }
}
