package reports

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

func TestWriteJUnitHasOneTestcasePerSpec(t *testing.T) {
	report := types.Report{
		SuiteDescription: "leakspec selftest",
		SuiteSucceeded:   false,
		SpecReports: types.SpecReports{
			{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStatePassed},
			{LeafNodeType: types.NodeTypeIt, LeafNodeText: "plateaus", State: types.SpecStatePassed,
				ReportEntries: types.ReportEntries{{Name: "peak_mb", Value: types.WrapEntryValue(41.5)}}},
			{LeafNodeType: types.NodeTypeIt, LeafNodeText: "leaks", State: types.SpecStateFailed,
				Failure: types.Failure{Message: "Expected memory to plateau within 32.0 MB, but it kept growing"}},
			{LeafNodeType: types.NodeTypeAfterSuite, State: types.SpecStateFailed,
				Failure: types.Failure{Message: "terminate redis: boom"}},
			{LeafNodeType: types.NodeTypeReportAfterSuite, State: types.SpecStatePassed},
		},
	}
	path := filepath.Join(t.TempDir(), "out", "selftest.junit.xml")
	if err := WriteJUnit(path, report); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("the JUnit file is not valid XML: %v", err)
	}
	if len(suites.TestSuites) != 1 {
		t.Fatalf("%d testsuites, want 1", len(suites.TestSuites))
	}
	cases := suites.TestSuites[0].TestCases
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	// The passed setup nodes are gone; the failed AfterSuite stays so CI
	// sees why the run failed.
	if len(cases) != 3 {
		t.Fatalf("testcases %q, want the two specs and the failed AfterSuite", names)
	}
	if cases[1].Failure == nil || cases[1].Failure.Message != "Expected memory to plateau within 32.0 MB, but it kept growing" {
		t.Errorf("the failed spec's testcase has failure %+v", cases[1].Failure)
	}
	if cases[2].Failure == nil || cases[2].Failure.Message != "terminate redis: boom" {
		t.Errorf("the failed AfterSuite's testcase has failure %+v", cases[2].Failure)
	}
	if cases[0].Properties == nil || cases[0].Properties.WithName("peak_mb") != "41.5" {
		t.Errorf("the report entry is not a testcase property: %+v", cases[0].Properties)
	}
	if report.SpecReports[0].LeafNodeType != types.NodeTypeSynchronizedBeforeSuite {
		t.Error("WriteJUnit changed the caller's report")
	}
}
