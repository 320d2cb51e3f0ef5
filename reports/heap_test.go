package reports

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// heapText is a traced heap report, as worker/pyheap words it.
const heapText = `+553.6 MB in +33 blocks at selftest_jobs.py:14 (return b"\xa5" * (mb * 1024 * 1024)) <- selftest_jobs.py:20
  retained by: bytes (16.8 MB) <- list[39] <- selftest_jobs._kept (module global) (and 2 more alike)
+1.2 MB in +300 blocks at job.py:88 (self.meta = {}) <- worker.py:12
gc.collect() freed 89 objects and 0.0 MB of traced memory: the growth is reachable, not garbage.`

// heapSpec is a spec that failed on its memory and filed a heap report,
// sent across processes, with its .pyheap.txt beside the CSV in dir.
func heapSpec(t *testing.T, dir string) types.SpecReport {
	s := specReport()
	s.State = types.SpecStateFailed
	s.Failure = types.Failure{Message: failureWithChart, FailureNodeType: types.NodeTypeIt}
	s.ReportEntries[1].Value = types.WrapEntryValue(Judgment{Expectation: "plateau within 24.0 MB", Budget: 24_000_000})
	s.ReportEntries = append(s.ReportEntries, types.ReportEntry{Name: EntryHeap, Visibility: types.ReportEntryVisibilityNever,
		Value: types.WrapEntryValue(Heap{Text: heapText, Traced: true, FreedBytes: 12_000})})
	path := filepath.Join(dir, "rq", "the-report-job-does-not-keep-its-rows.pyheap.txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(heapText), 0o644); err != nil {
		t.Fatal(err)
	}
	return acrossProcesses(t, s)
}

func TestHeapReportReachesJUnitAndTheIndex(t *testing.T) {
	dir := t.TempDir()
	sr := heapSpec(t, dir)
	spec, err := SpecOf(sr)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Heap == nil || spec.Heap.Text != heapText || !spec.Heap.Traced {
		t.Fatalf("SpecOf's Heap = %+v, want the filed report", spec.Heap)
	}

	report := types.Report{SuiteDescription: "leakspec rq", StartTime: started, SpecReports: types.SpecReports{sr}}
	if err := WriteJUnit(dir, "rq", report); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(JUnitPath(dir, "rq"))
	if err != nil {
		t.Fatal(err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	c := suites.TestSuites[0].TestCases[0]
	for name, want := range map[string]string{
		"heap":                heapText,
		"heap_freed_by_gc_mb": "0.0",
		"heap_cyclic_garbage": "false",
		"pyheap_txt":          "rq/the-report-job-does-not-keep-its-rows.pyheap.txt",
	} {
		if got := c.Properties.WithName(name); got != want {
			t.Errorf("property %s = %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(c.SystemOut, "What holds the memory (leakspec heap probe):\n"+heapText) {
		t.Errorf("system-out lacks the heap report:\n%s", c.SystemOut)
	}

	// The row of a spec that did not pass gives the top site, its
	// retainer and the GC line; not the smaller sites.
	row := indexRowOf("rq", spec, []string{"the-report-job-does-not-keep-its-rows.pyheap.txt"})
	lines := strings.Split(heapText, "\n")
	if want := strings.Join([]string{lines[0], lines[1], lines[3]}, "\n"); row.Heap != want {
		t.Errorf("the row's heap =\n%s\nwant\n%s", row.Heap, want)
	}
	if row.Files[0] != [2]string{"rq/the-report-job-does-not-keep-its-rows.pyheap.txt", "pyheap.txt"} {
		t.Errorf("the row links %v, want the .pyheap.txt file", row.Files)
	}
	untraced := heapGist(Heap{Text: "Allocation sites: tracing was off, so only what gc.collect() frees is known.\n" + lines[3]})
	if untraced != lines[3] {
		t.Errorf("an untraced report's gist = %q, want the GC line alone", untraced)
	}

	if err := writeDetails(dir, SuiteSummary{Suite: "rq"}, spec, nil); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(DetailsPath(dir, "rq", spec.File))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<h2>What holds the memory</h2>\n<pre class=\"heap\">&#43;553.6 MB in &#43;33 blocks at selftest_jobs.py:14") {
		t.Errorf("the spec's page lacks the heap report:\n%s", page)
	}
}
