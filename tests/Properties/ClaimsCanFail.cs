using PandaProbe.Properties.Generators;
using PandaProbe.Properties.Checks;
using static PandaProbe.Properties.ReducerClaims;

namespace PandaProbe.Properties;

/// <summary>
/// Evidence that the properties can fail: the shared configuration throws on a false property, and each claim
/// rejects a reducer mutant that carries the bug it is about (see <see cref="Mutants"/>). These checks run the claims
/// themselves, with <see cref="TracePropertyAttribute.MustFind"/>, and assert that they fail.
/// </summary>
public class ClaimsCanFail
{
    // Failures are not shrunk here: the point is only that the property fails, and shrinking a big plan is slow.
    static void Fails(Func<ScriptPlan, Property> property) =>
        Assert.ThrowsAny<Exception>(() => Prop.ForAll(Plans.Unshrunk(Plans.Script), property).Check(MustFind));

    static readonly Config MustFind = TracePropertyAttribute.MustFind(300);

    static IReadOnlyList<TraceEvent> WellFormed(ScriptPlan p) => Scripts.WellFormed(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> Late(ScriptPlan p) => Scripts.WithLateSpans(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> Corrupted(ScriptPlan p) => Scripts.Corrupted(p.Steps, Plans.ClockOf(p.Clock));

    [Fact]
    public void The_shared_attribute_takes_its_cases_from_PROPERTY_MAX_TEST_registers_the_plans_and_is_quiet()
    {
        var expected = int.TryParse(Environment.GetEnvironmentVariable("PROPERTY_MAX_TEST"), out var n) && n > 0 ? n : 200;
        var shared = new TracePropertyAttribute();
        Assert.Equal(expected, TracePropertyAttribute.Cases);
        Assert.Equal(expected, shared.MaxTest);
        Assert.True(shared.QuietOnSuccess);
        Assert.Equal([typeof(Arbitraries)], shared.Arbitrary);
        // The adjustments are relative to the shared count.
        Assert.Equal(Math.Min(expected, 7), new TracePropertyAttribute { AtMost = 7 }.MaxTest);
        Assert.Equal(Math.Max(expected, 300), new TracePropertyAttribute { AtLeast = 300 }.MaxTest);
        Assert.Equal(Math.Max(1, expected / 4), new TracePropertyAttribute { Divisor = 4 }.MaxTest);
    }

    [Fact]
    public void The_shared_config_throws_when_a_property_is_false()
    {
        var error = Assert.ThrowsAny<Exception>(() => Prop.ForAll(Plans.Script, _ => false).Check(new TracePropertyAttribute().ToThrowingConfig()));
        Assert.Contains("Falsifiable", error.Message);
    }

    [Fact]
    public void The_shared_config_runs_the_configured_number_of_cases()
    {
        var runs = 0;
        Prop.ForAll(Plans.Script, _ => { runs++; return true; }).Check(new TracePropertyAttribute().ToThrowingConfig());
        Assert.Equal(TracePropertyAttribute.Cases, runs);
    }

    [Fact]
    public void A_check_that_must_find_a_failure_runs_at_least_its_own_number_of_cases()
    {
        var runs = 0;
        Prop.ForAll(Plans.Script, _ => { runs++; return true; }).Check(MustFind);
        Assert.Equal(Math.Max(300, TracePropertyAttribute.Cases), runs);
    }

    [Fact]
    public void Completing_a_trace_twice_is_caught()
    {
        Fails(p => WellFormedCompletesOnce(Mutants.CompletesTwice, WellFormed(p)));
        Fails(p => CompletesAtMostOncePerStart(Mutants.CompletesTwice, WellFormed(p)));
        Fails(p => Invariants.Hold(WellFormed(p), Mutants.CompletesTwice));
    }

    [Fact]
    public void A_rejection_that_changes_the_state_is_caught()
    {
        Fails(p => RejectionsLeaveTheStateUnchanged(Mutants.RejectionClearsState, Corrupted(p)));
        Fails(p => Invariants.Hold(Corrupted(p), Mutants.RejectionClearsState));
    }

    [Fact]
    public void Lost_late_spans_are_caught()
    {
        Fails(p => LateSpansComeLater(Mutants.DropsLateSpans, Late(p)));
        Fails(p => AgreesWithTheReference(Mutants.DropsLateSpans, Late(p)));
        Fails(p => Invariants.Hold(Late(p), Mutants.DropsLateSpans));
    }

    [Fact]
    public void Keeping_the_first_tokens_is_caught()
    {
        Fails(p => LastSetWins(Mutants.FirstTokensWin, WellFormed(p)));
        Fails(p => AgreesWithTheReference(Mutants.FirstTokensWin, WellFormed(p)));
    }

    [Fact]
    public void Ignoring_metadata_merges_is_caught() =>
        Fails(p => MetadataIsADictionaryFold(Mutants.IgnoresMetadataMerges, WellFormed(p)));

    [Fact]
    public void Ignoring_errors_is_caught() =>
        Fails(p => StatusRules(Mutants.IgnoresErrors, WellFormed(p)));

    [Fact]
    public void A_fold_that_depends_on_other_traces_is_caught() =>
        Assert.ThrowsAny<Exception>(() => Prop.ForAll(Plans.Unshrunk(Plans.Interleaving),
            p => InterleavingChangesNothing(Mutants.LosesSpansWhenTracesOverlap, p.Traces, p.Merge)).Check(MustFind));

    [Fact]
    public void A_nondeterministic_fold_is_caught() =>
        Fails(p => Deterministic(Mutants.Nondeterministic, () => WellFormed(p)));

    [Fact]
    public void A_child_of_an_unknown_parent_is_caught() =>
        Fails(p => Invariants.Hold(Corrupted(p), Mutants.AcceptsUnknownParents));
}
