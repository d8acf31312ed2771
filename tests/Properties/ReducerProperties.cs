using PandaProbe.Properties.Generators;
using PandaProbe.Properties.Checks;
using static PandaProbe.Properties.ReducerClaims;

namespace PandaProbe.Properties;

/// <summary>Properties of <see cref="TraceReducer"/> over generated event scripts (see <see cref="Scripts"/>).</summary>
public class ReducerProperties
{
    static readonly Reducer Real = Folding.Real;

    static IReadOnlyList<TraceEvent> WellFormed((byte[] Steps, byte Clock) p) => Scripts.WellFormed(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> Late((byte[] Steps, byte Clock) p) => Scripts.WithLateSpans(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> IllFormed((byte[] Steps, byte Clock) p) => Scripts.IllFormed(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> Corrupted((byte[] Steps, byte Clock) p) => Scripts.Corrupted(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> Any((byte[] Steps, byte Clock) p) => Scripts.Any(p.Steps, p.Clock);

    [Fact]
    public void The_reducer_never_throws_on_any_script_or_its_reverse() =>
        Prop.ForAll(Plans.Script, p =>
        {
            foreach (var script in new[] { Any(p), IllFormed(p) })
            {
                Real.Fold(script);
                Real.Fold(script.Reverse());
                if (script.Count > 0) TraceReducer.Apply((TraceState)null!, script[0]);
                foreach (var e in script) TraceReducer.Apply((OpenTrace?)null, e);
            }
        }).Check(PropertyConfig.Default);

    [Fact]
    public void Every_prefix_of_any_script_keeps_the_state_and_output_invariants() =>
        Prop.ForAll(Plans.Script, p => Invariants.Hold(Any(p))).Check(PropertyConfig.Default);

    [Fact]
    public void Every_prefix_of_an_ill_formed_script_keeps_the_state_and_output_invariants() =>
        Prop.ForAll(Plans.Script, p => Invariants.Hold(IllFormed(p))).Check(PropertyConfig.Default);

    [Fact]
    public void Every_prefix_of_a_corrupted_script_keeps_the_state_and_output_invariants() =>
        Prop.ForAll(Plans.Script, p => Invariants.Hold(Corrupted(p))).Check(PropertyConfig.Default);

    [Fact]
    public void Every_prefix_of_a_reversed_ill_formed_script_keeps_the_invariants() =>
        Prop.ForAll(Plans.Script, p => Invariants.Hold(IllFormed(p).Reverse().ToList())).Check(PropertyConfig.Default);

    [Fact]
    public void Every_prefix_of_an_interleaving_keeps_the_invariants() =>
        Prop.ForAll(Plans.Interleaving, p => Invariants.Hold(Scripts.Interleave(Scripts.Independent(p.Traces), p.Merge)))
            .Check(PropertyConfig.Default);

    [Fact]
    public void A_well_formed_script_completes_its_trace_exactly_once_and_is_never_rejected() =>
        Prop.ForAll(Plans.Script, p => WellFormedCompletesOnce(Real, WellFormed(p))).Check(PropertyConfig.Default);

    [Fact]
    public void A_script_with_late_spans_completes_its_trace_exactly_once_and_is_never_rejected() =>
        Prop.ForAll(Plans.Script, p => WellFormedCompletesOnce(Real, Late(p))).Check(PropertyConfig.Default);

    [Fact]
    public void Traces_and_spans_complete_at_most_once_per_start_in_any_script() =>
        Prop.ForAll(Plans.Script, p => CompletesAtMostOncePerStart(Real, IllFormed(p))
                .And(CompletesAtMostOncePerStart(Real, Corrupted(p))).And(CompletesAtMostOncePerStart(Real, Any(p))))
            .Check(PropertyConfig.Default);

    [Fact]
    public void Folding_is_deterministic() =>
        Prop.ForAll(Plans.Script, p => Deterministic(Real, () => Any(p)).And(Deterministic(Real, () => IllFormed(p))))
            .Check(PropertyConfig.Default);

    [Fact]
    public void The_library_fold_equals_applying_events_one_by_one() =>
        Prop.ForAll(Plans.Script, p =>
        {
            var script = Any(p);
            var library = TraceReducer.Fold(script);
            var manual = Real.Fold(script);
            return library.State.Equals(manual.State) && library.Outputs.Equals(manual.Outputs);
        }).Check(PropertyConfig.Default);

    [Fact]
    public void Interleaving_independent_traces_does_not_change_what_completes() =>
        Prop.ForAll(Plans.Interleaving, p => InterleavingChangesNothing(Real, p.Traces, p.Merge)).Check(PropertyConfig.Default);

    [Fact]
    public void A_rejected_event_leaves_the_state_unchanged() =>
        Prop.ForAll(Plans.Script, p => RejectionsLeaveTheStateUnchanged(Real, IllFormed(p)).And(RejectionsLeaveTheStateUnchanged(Real, Corrupted(p)))).Check(PropertyConfig.Default);

    [Fact]
    public void The_last_tokens_cost_and_input_set_win() =>
        Prop.ForAll(Plans.Script, p => LastSetWins(Real, WellFormed(p)).And(LastSetWins(Real, Late(p)))).Check(PropertyConfig.Default);

    [Fact]
    public void Metadata_merges_equal_a_dictionary_fold() =>
        Prop.ForAll(Plans.Script, p => MetadataIsADictionaryFold(Real, WellFormed(p)).And(MetadataIsADictionaryFold(Real, Late(p))))
            .Check(PropertyConfig.Default);

    [Fact]
    public void Unset_spans_end_OK_unset_traces_end_COMPLETED_and_errors_end_ERROR() =>
        Prop.ForAll(Plans.Script, p => StatusRules(Real, WellFormed(p)).And(StatusRules(Real, Late(p)))).Check(PropertyConfig.Default);

    [Fact]
    public void A_one_trace_script_completes_exactly_the_reference_trace_and_late_spans() =>
        Prop.ForAll(Plans.Script, p => AgreesWithTheReference(Real, WellFormed(p)).And(AgreesWithTheReference(Real, Late(p))))
            .Check(PropertyConfig.Default);

    [Fact]
    public void Spans_open_at_trace_end_complete_later_and_the_trace_leaves_the_state_after_the_last() =>
        Prop.ForAll(Plans.Script, p => LateSpansComeLater(Real, Late(p)).And(LateSpansComeLater(Real, WellFormed(p))))
            .Check(PropertyConfig.Default);
}
