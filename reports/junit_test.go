package reports

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// failureWithChart is a matcher's failure message, chart and all.
const failureWithChart = `Expected memory to plateau within 32.0 MB, but it kept growing: from a baseline of 29.4 MB it peaked at 684.1 MB (+654.7 MB).
684.1 MB ┤        ▂▂▃▅▅▆██
 29.4 MB ┤▃▄▄▆▇▇██████████
         └────────────────`

// suiteReport is a suite's report with a spec of every kind: one that
// passed, one that failed on its memory (its entries sent across processes,
// as under ginkgo -p), one skipped, one that panicked, and setup nodes that
// passed and failed.
func suiteReport(t *testing.T) types.Report {
	failed := specReport()
	failed.LeafNodeText = "keeps its rows"
	failed.LeafNodeLabels = []string{"rq", "owner:reports"}
	failed.State = types.SpecStateFailed
	failed.Failure = types.Failure{Message: failureWithChart, FailureNodeType: types.NodeTypeIt,
		Location: types.CodeLocation{FileName: "/src/suites/rq/report_test.go", LineNumber: 42}}
	failed.ReportEntries[1].Value = types.WrapEntryValue(Judgment{Expectation: "plateau within 24.0 MB", Budget: 24_000_000})
	return types.Report{
		SuiteDescription: "leakspec rq", SuitePath: "/src/suites/rq", StartTime: started, RunTime: 61234567 * time.Microsecond,
		SuiteConfig: types.SuiteConfig{RandomSeed: 7, ParallelTotal: 2},
		SpecReports: types.SpecReports{
			{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStatePassed},
			specReport(),
			acrossProcesses(t, failed),
			{LeafNodeType: types.NodeTypeIt, LeafNodeText: "waits for Dramatiq", State: types.SpecStateSkipped,
				Failure: types.Failure{Message: "import dramatiq failed"}},
			{LeafNodeType: types.NodeTypeIt, LeafNodeText: "panics", State: types.SpecStatePanicked,
				Failure: types.Failure{Message: "Test Panicked", ForwardedPanic: "runtime error: index out of range"}},
			{LeafNodeType: types.NodeTypeAfterSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "terminate redis: boom"}},
			{LeafNodeType: types.NodeTypeReportAfterSuite, State: types.SpecStatePassed},
		},
	}
}

func writeSuiteJUnit(t *testing.T) (dir string, suites reporters.JUnitTestSuites) {
	t.Helper()
	dir = t.TempDir()
	// The passed spec has its files; the report links those that exist.
	for _, ext := range []string{"csv", "png"} {
		path := filepath.Join(dir, "rq", "the-report-job-does-not-keep-its-rows."+ext)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteJUnit(dir, "rq", suiteReport(t)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(JUnitPath(dir, "rq"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("the JUnit file is not XML: %v", err)
	}
	return dir, suites
}

func TestWriteJUnitHasOneTestcasePerSpec(t *testing.T) {
	_, suites := writeSuiteJUnit(t)
	if len(suites.TestSuites) != 1 {
		t.Fatalf("%d testsuites, want 1", len(suites.TestSuites))
	}
	s := suites.TestSuites[0]
	var names []string
	for _, c := range s.TestCases {
		names = append(names, c.Name)
	}
	want := []string{
		"the report job does not keep its rows",
		"the report job keeps its rows [rq, owner:reports]",
		"waits for Dramatiq",
		"panics",
		"[AfterSuite]",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Fatalf("testcases\n%s\nwant the specs and the failed AfterSuite\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if s.Tests != 5 || s.Failures != 2 || s.Errors != 1 || s.Skipped != 1 || suites.Failures != 2 || suites.Errors != 1 {
		t.Errorf("counts: tests %d, failures %d, errors %d, skipped %d; want 5, 2, 1, 1", s.Tests, s.Failures, s.Errors, s.Skipped)
	}
	c := s.TestCases
	if c[1].Failure == nil || c[1].Failure.Message != failureWithChart || !strings.Contains(c[1].Failure.Description, "/src/suites/rq/report_test.go:42") {
		t.Errorf("the failed spec's failure is %+v; want the message with its chart, and where it failed", c[1].Failure)
	}
	if c[2].Skipped == nil || c[2].Skipped.Message != "skipped - import dramatiq failed" {
		t.Errorf("the skipped spec has %+v", c[2].Skipped)
	}
	if c[3].Error == nil || c[3].Error.Type != "panicked" || !strings.Contains(c[3].Error.Message, "index out of range") {
		t.Errorf("the panicked spec has error %+v", c[3].Error)
	}
	if c[4].Failure == nil || c[4].Failure.Message != "terminate redis: boom" {
		t.Errorf("the failed AfterSuite has failure %+v", c[4].Failure)
	}
	if s.Time != 61.235 || c[0].Time != 10 {
		t.Errorf("times %v and %v, want 61.235 and 10", s.Time, c[0].Time)
	}
}

func TestWriteJUnitFilesFiguresAsProperties(t *testing.T) {
	_, suites := writeSuiteJUnit(t)
	cases := suites.TestSuites[0].TestCases
	f := FiguresOf(peaksOnALine(0))
	passed, failed := cases[0].Properties, cases[1].Properties
	for name, want := range map[string]string{
		"verdict":                   "pass",
		"baseline_mb":               "38.0",
		"peak_mb":                   "60.0",
		"growth_mb":                 "22.0",
		"rise_mb":                   "0.0",
		"slope_mb_per_min":          "0.0",
		"slope_lower_mb_per_min":    "0.0",
		"slope_upper_mb_per_min":    "0.0",
		"samples":                   "106",
		"duration_s":                "10.5",
		"warm_up_s":                 "2.1",
		"budget_mb":                 "24.0",
		"limit_mb":                  "512.0",
		"pss_peak_mb":               "55.0",
		"uss_peak_mb":               "52.0",
		"previous_peak_mb":          "60.0",
		"allowed_peak_mb":           mbValue(float64(f.Peak) * 1.2),
		"previous_slope_mb_per_min": "0.0",
		"csv":                       "rq/the-report-job-does-not-keep-its-rows.csv",
		"png":                       "rq/the-report-job-does-not-keep-its-rows.png",
		"ticket":                    "LEAK-42",
	} {
		if got := passed.WithName(name); got != want {
			t.Errorf("property %s = %q, want %q", name, got, want)
		}
	}
	for _, absent := range []string{"log", "svg", "regression", "leakspec.figures"} {
		if got := passed.WithName(absent); got != "" {
			t.Errorf("property %s = %q, want none", absent, got)
		}
	}
	// Entries that crossed from another process read the same.
	if got := failed.WithName("verdict"); got != "fail: did not plateau within 24.0 MB" {
		t.Errorf("the failed spec's verdict = %q", got)
	}
	if got := failed.WithName("peak_mb"); got != "60.0" {
		t.Errorf("the failed spec's peak_mb = %q", got)
	}
}

// TestWriteJUnitMatchesTheSchema validates the JUnit file against the JUnit
// XSD with libxml2's validator, and checks that the validator is strict by
// having it refuse what Ginkgo's own reporter writes.
func TestWriteJUnitMatchesTheSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (Debian: apt-get install libxml2-utils), so the JUnit file cannot be validated against its schema")
	}
	dir, _ := writeSuiteJUnit(t)
	schema := filepath.Join("testdata", "junit.xsd")
	out, err := exec.Command(xmllint, "--noout", "--schema", schema, JUnitPath(dir, "rq")).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint refuses the JUnit file: %v\n%s", err, out)
	}

	ginkgo := filepath.Join(dir, "ginkgo.xml")
	if err := reporters.GenerateJUnitReport(suiteReport(t), ginkgo); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(xmllint, "--noout", "--schema", schema, ginkgo).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "The attribute 'status' is not allowed") {
		t.Errorf("xmllint accepted Ginkgo's own JUnit, which has status attributes (%v):\n%s", err, out)
	}
}

func TestFailureTextKeepsWhatATimedOutSpecWasDoing(t *testing.T) {
	s := types.SpecReport{LeafNodeType: types.NodeTypeIt, State: types.SpecStateTimedout, Failure: types.Failure{
		Message: "A spec timeout occurred", FailureNodeType: types.NodeTypeIt,
		AdditionalFailure: &types.AdditionalFailure{State: types.SpecStateFailed, Failure: types.Failure{
			Message:  "wait for 1 jobs on faults: context deadline exceeded",
			Location: types.CodeLocation{FileName: "/src/suites/rq/report_test.go", LineNumber: 50}}},
	}}
	got := failureText(s)
	if !strings.Contains(got, "\n\nThen: wait for 1 jobs on faults: context deadline exceeded\nat: /src/suites/rq/report_test.go:50") {
		t.Errorf("failureText =\n%s\nwant the failure recorded as the spec timed out", got)
	}
}
