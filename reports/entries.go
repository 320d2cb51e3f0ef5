package reports

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// The names of the report entries a spec files for the reports. The suite's
// fixtures add them with Ginkgo's AddReportEntry; this package reads them
// back from Ginkgo's report.
const (
	// EntryFigures holds the recording's Figures.
	EntryFigures = "leakspec.figures"
	// EntryJudgment holds one Judgment; a spec files one per assertion.
	EntryJudgment = "leakspec.judgment"
	// EntryBaseline holds the spec's Comparison with the baseline.
	EntryBaseline = "leakspec.baseline"
	// EntryHeap holds the Heap report of a Python worker.
	EntryHeap = "leakspec.heap"
	// EntryDecision says when and how a run that recorded until its
	// verdict was certain was decided: "passed at 4.2 s of at most 12.0 s
	// (look 2 of 6)".
	EntryDecision = "leakspec.decision"
)

// Heap is what the heap probe found of a Python worker (worker/pyheap):
// the few lines of its report, which the failure message also carries,
// and the GC diagnosis in figures. The whole report is in the spec's
// .pyheap.txt and .pyheap.json files.
type Heap struct {
	Text string `json:"text"`
	// Traced says whether tracemalloc ran, so that Text names allocation
	// sites and retainers; without it Text is the GC diagnosis alone.
	Traced bool `json:"traced"`
	// FreedBytes is what gc.collect() freed at the end, and CyclicGarbage
	// says it was at least half of the growth.
	FreedBytes    int64 `json:"freed_bytes"`
	CyclicGarbage bool  `json:"cyclic_garbage"`
}

// DecodeEntry decodes the value of a report entry into v. Under ginkgo -p a
// spec's entries reach the ReportAfterSuite of process 1 as JSON, their raw
// values turned into maps; in the process that made them they are still the
// Go values. Both are read the same way, through JSON, so no caller ever
// type-asserts a raw value.
func DecodeEntry(e types.ReportEntry, v any) error {
	data := []byte(e.Value.AsJSON)
	if len(data) == 0 {
		var err error
		if data, err = json.Marshal(e.GetRawValue()); err != nil {
			return fmt.Errorf("decode report entry %s: %w", e.Name, err)
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode report entry %s: %w", e.Name, err)
	}
	return nil
}

// SpecOf reads what a spec filed about its memory from its Ginkgo report:
// figures, judgments, baseline comparison, and the verdict they add up to.
// An entry that does not decode is an error; a spec that filed nothing (a
// suite node, a spec without a recording) has a summary without figures.
func SpecOf(s types.SpecReport) (SpecSummary, error) {
	text := s.FullText()
	if text == "" {
		text = "[" + s.LeafNodeType.String() + "]"
	}
	spec := SpecSummary{Name: text, File: FileName(text), State: s.State.String()}
	if labels := s.Labels(); len(labels) > 0 {
		spec.Labels = labels
	}
	if s.State.Is(types.SpecStateFailureStates) {
		spec.Failure = s.Failure.Message
		if s.Failure.ForwardedPanic != "" {
			spec.Failure += "\n" + s.Failure.ForwardedPanic
		}
	}
	for _, e := range s.ReportEntries {
		var err error
		switch e.Name {
		case EntryFigures:
			spec.Figures = new(Figures)
			err = DecodeEntry(e, spec.Figures)
		case EntryJudgment:
			var j Judgment
			err = DecodeEntry(e, &j)
			spec.Judgments = append(spec.Judgments, j)
		case EntryBaseline:
			spec.Baseline = new(Comparison)
			err = DecodeEntry(e, spec.Baseline)
			spec.History = spec.Baseline.History
		case EntryHeap:
			spec.Heap = new(Heap)
			err = DecodeEntry(e, spec.Heap)
		}
		if err != nil {
			return SpecSummary{}, err
		}
	}
	aborted := ""
	if spec.Figures != nil {
		aborted = spec.Figures.Aborted
	}
	spec.Verdict = Verdict(s.State, spec.Judgments, spec.Baseline, aborted)
	return spec, nil
}

// SuiteOf reads a suite's report into its summary: one SpecSummary per spec,
// and a suite node (BeforeSuite, ...) only when it failed, since its specs
// then did not run and a reader must see why.
func SuiteOf(suite string, r types.Report) (SuiteSummary, error) {
	s := SuiteSummary{Suite: suite, Description: r.SuiteDescription, Started: r.StartTime.Round(time.Millisecond),
		RunTimeS: r.RunTime.Seconds(), Succeeded: r.SuiteSucceeded}
	for _, sr := range specReports(r) {
		spec, err := SpecOf(sr)
		if err != nil {
			return SuiteSummary{}, err
		}
		s.Specs = append(s.Specs, spec)
	}
	return s, nil
}

// specReports returns the reports of the specs, and of the suite nodes that
// failed, in the order they ran.
func specReports(r types.Report) []types.SpecReport {
	var out []types.SpecReport
	for _, s := range r.SpecReports {
		if s.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) && !s.Failed() {
			continue
		}
		out = append(out, s)
	}
	return out
}
