using PandaProbe.Properties.Generators;
using PandaProbe.Properties.Checks;
using static PandaProbe.Properties.ReducerClaims;

namespace PandaProbe.Properties;

/// <summary>Properties of <see cref="TraceReducer"/> over generated event scripts (see <see cref="Scripts"/>).</summary>
public class ReducerProperties
{
    static readonly Reducer Real = Folding.Real;

    static IReadOnlyList<TraceEvent> WellFormed(ScriptPlan p) => Scripts.WellFormed(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> Late(ScriptPlan p) => Scripts.WithLateSpans(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> IllFormed(ScriptPlan p) => Scripts.IllFormed(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> Corrupted(ScriptPlan p) => Scripts.Corrupted(p.Steps, Plans.ClockOf(p.Clock));
    static IReadOnlyList<TraceEvent> Any(ScriptPlan p) => Scripts.Any(p.Steps, p.Clock);

    [TraceProperty]
    public void The_reducer_never_throws_on_any_script_or_its_reverse(ScriptPlan p)
    {
        foreach (var script in new[] { Any(p), IllFormed(p) })
        {
            Real.Fold(script);
            Real.Fold(script.Reverse());
            if (script.Count > 0) TraceReducer.Apply((TraceState)null!, script[0]);
            foreach (var e in script) TraceReducer.Apply((OpenTrace?)null, e);
        }
    }

    [TraceProperty]
    public Property Every_prefix_of_any_script_keeps_the_state_and_output_invariants(ScriptPlan p) =>
        Invariants.Hold(Any(p));

    [TraceProperty]
    public Property Every_prefix_of_an_ill_formed_script_keeps_the_state_and_output_invariants(ScriptPlan p) =>
        Invariants.Hold(IllFormed(p));

    [TraceProperty]
    public Property Every_prefix_of_a_corrupted_script_keeps_the_state_and_output_invariants(ScriptPlan p) =>
        Invariants.Hold(Corrupted(p));

    [TraceProperty]
    public Property Every_prefix_of_a_reversed_ill_formed_script_keeps_the_invariants(ScriptPlan p) =>
        Invariants.Hold(IllFormed(p).Reverse().ToList());

    [TraceProperty]
    public Property Every_prefix_of_an_interleaving_keeps_the_invariants(InterleavingPlan p) =>
        Invariants.Hold(Scripts.Interleave(Scripts.Independent(p.Traces), p.Merge));

    [TraceProperty]
    public Property A_well_formed_script_completes_its_trace_exactly_once_and_is_never_rejected(ScriptPlan p) =>
        WellFormedCompletesOnce(Real, WellFormed(p));

    [TraceProperty]
    public Property A_script_with_late_spans_completes_its_trace_exactly_once_and_is_never_rejected(ScriptPlan p) =>
        WellFormedCompletesOnce(Real, Late(p));

    [TraceProperty]
    public Property Traces_and_spans_complete_at_most_once_per_start_in_any_script(ScriptPlan p) =>
        CompletesAtMostOncePerStart(Real, IllFormed(p))
            .And(CompletesAtMostOncePerStart(Real, Corrupted(p))).And(CompletesAtMostOncePerStart(Real, Any(p)));

    [TraceProperty]
    public Property Folding_is_deterministic(ScriptPlan p) =>
        Deterministic(Real, () => Any(p)).And(Deterministic(Real, () => IllFormed(p)));

    [TraceProperty]
    public Property The_library_fold_equals_applying_events_one_by_one(ScriptPlan p)
    {
        var script = Any(p);
        var library = TraceReducer.Fold(script);
        var manual = Real.Fold(script);
        return (library.State.Equals(manual.State) && library.Outputs.Equals(manual.Outputs))
            .Label($"the library fold and the manual fold differ\n{Invariants.Describe(script)}");
    }

    [TraceProperty]
    public Property Interleaving_independent_traces_does_not_change_what_completes(InterleavingPlan p) =>
        InterleavingChangesNothing(Real, p.Traces, p.Merge);

    [TraceProperty]
    public Property A_rejected_event_leaves_the_state_unchanged(ScriptPlan p) =>
        RejectionsLeaveTheStateUnchanged(Real, IllFormed(p)).And(RejectionsLeaveTheStateUnchanged(Real, Corrupted(p)));

    [TraceProperty]
    public Property The_last_tokens_cost_and_input_set_win(ScriptPlan p) =>
        LastSetWins(Real, WellFormed(p)).And(LastSetWins(Real, Late(p)));

    [TraceProperty]
    public Property Metadata_merges_equal_a_dictionary_fold(ScriptPlan p) =>
        MetadataIsADictionaryFold(Real, WellFormed(p)).And(MetadataIsADictionaryFold(Real, Late(p)));

    [TraceProperty]
    public Property Unset_spans_end_OK_unset_traces_end_COMPLETED_and_errors_end_ERROR(ScriptPlan p) =>
        StatusRules(Real, WellFormed(p)).And(StatusRules(Real, Late(p)));

    [TraceProperty]
    public Property A_one_trace_script_completes_exactly_the_reference_trace_and_late_spans(ScriptPlan p) =>
        AgreesWithTheReference(Real, WellFormed(p)).And(AgreesWithTheReference(Real, Late(p)));

    [TraceProperty]
    public Property Spans_open_at_trace_end_complete_later_and_the_trace_leaves_the_state_after_the_last(ScriptPlan p) =>
        LateSpansComeLater(Real, Late(p)).And(LateSpansComeLater(Real, WellFormed(p)));
}
