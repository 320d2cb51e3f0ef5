package reports

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// specReport is the report of a spec that filed figures, two judgments and a
// baseline comparison, as fixtures does, plus an entry of its own.
func specReport() types.SpecReport {
	f := FiguresOf(peaksOnALine(0))
	cmp, _ := baselineOf(f).Compare("main/summary.json", "rq", "report-job", f, 0.2)
	entry := func(name string, v any) types.ReportEntry {
		return types.ReportEntry{Name: name, Value: types.WrapEntryValue(v), Visibility: types.ReportEntryVisibilityNever}
	}
	return types.SpecReport{
		ContainerHierarchyTexts: []string{"the report job"},
		LeafNodeType:            types.NodeTypeIt,
		LeafNodeText:            "does not keep its rows",
		State:                   types.SpecStatePassed,
		RunTime:                 10 * time.Second,
		ReportEntries: types.ReportEntries{
			entry(EntryFigures, f),
			entry(EntryJudgment, Judgment{Expectation: "plateau within 24.0 MB", Budget: 24_000_000, Met: true}),
			entry(EntryJudgment, Judgment{Expectation: "stay below 512.0 MB", Limit: 512_000_000, Met: true}),
			entry(EntryBaseline, cmp),
			entry("ticket", "LEAK-42"),
		},
	}
}

// acrossProcesses sends a spec report through JSON, as Ginkgo does from a
// parallel process to the ReportAfterSuite of process 1: every entry's raw
// value arrives as a map or a string.
func acrossProcesses(t *testing.T, s types.SpecReport) types.SpecReport {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out types.SpecReport
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if _, ok := out.ReportEntries[0].GetRawValue().(map[string]any); !ok {
		t.Fatalf("the figures arrived as %T, not as a JSON map", out.ReportEntries[0].GetRawValue())
	}
	return out
}

func TestSpecOfReadsTheEntriesInAndAcrossProcesses(t *testing.T) {
	local := specReport()
	here, err := SpecOf(local)
	if err != nil {
		t.Fatal(err)
	}
	there, err := SpecOf(acrossProcesses(t, local))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(here, there) {
		t.Errorf("SpecOf differs across processes:\nhere  %+v\nthere %+v", here, there)
	}
	f := FiguresOf(peaksOnALine(0))
	if here.Figures == nil || here.Figures.Peak != f.Peak || *here.Figures.Slope != *f.Slope {
		t.Errorf("Figures = %+v, want %+v", here.Figures, f)
	}
	if here.Name != "the report job does not keep its rows" || here.File != "the-report-job-does-not-keep-its-rows" ||
		here.State != "passed" || here.Verdict != "pass" || len(here.Judgments) != 2 || here.Judgments[1].Limit != 512_000_000 {
		t.Errorf("SpecOf = %+v", here)
	}
	if here.Baseline == nil || len(here.History) != 1 || here.History[0].Peak != f.Peak {
		t.Errorf("Baseline %+v, History %+v; want the comparison and its one earlier run", here.Baseline, here.History)
	}
}

func TestSpecOfRefusesAnEntryThatDoesNotDecode(t *testing.T) {
	s := specReport()
	s.ReportEntries[0].Value = types.WrapEntryValue("not figures")
	if _, err := SpecOf(s); err == nil || err.Error() != "decode report entry leakspec.figures: json: cannot unmarshal string into Go value of type reports.Figures" {
		t.Errorf("SpecOf error = %v", err)
	}
}

func TestSuiteOfKeepsSpecsAndFailedSuiteNodes(t *testing.T) {
	r := types.Report{SuiteDescription: "leakspec rq", StartTime: started, RunTime: time.Minute, SuiteSucceeded: false,
		SpecReports: types.SpecReports{
			{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStatePassed},
			specReport(),
			{LeafNodeType: types.NodeTypeAfterSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "terminate redis: boom"}},
		}}
	s, err := SuiteOf("rq", r)
	if err != nil {
		t.Fatal(err)
	}
	if s.Suite != "rq" || s.Description != "leakspec rq" || s.RunTimeS != 60 || s.Succeeded || len(s.Specs) != 2 {
		t.Fatalf("SuiteOf = %+v", s)
	}
	if node := s.Specs[1]; node.Name != "[AfterSuite]" || node.Failure != "terminate redis: boom" || node.Verdict != "fail" || node.Figures != nil {
		t.Errorf("the failed AfterSuite reads %+v", node)
	}
}
