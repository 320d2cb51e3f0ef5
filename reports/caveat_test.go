package reports

import (
	"os"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// stillRisingCaveat is a caveat as matchers.Caveat words it.
const stillRisingCaveat = "Memory was still rising when the run ended: by at least 0.6 MB/min (95 %), +1.2 MB over the 2.0 min judged, " +
	"more than a quarter of the 3.0 MB allowed. If this spec guards a slow leak, load it for longer."

func TestACaveatReachesJUnitTheIndexAndThePage(t *testing.T) {
	sr := specReport()
	sr.ReportEntries[1].Value = types.WrapEntryValue(Judgment{Expectation: "plateau within 3.0 MB", Budget: 3_000_000, Met: true, Caveat: stillRisingCaveat})
	spec, err := SpecOf(acrossProcesses(t, sr))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteJUnit(dir, "rq", types.Report{SuiteDescription: "leakspec rq", SpecReports: types.SpecReports{sr}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(JUnitPath(dir, "rq"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `<property name="caveat" value="Memory was still rising when the run ended: by at least 0.6 MB/min`; !strings.Contains(string(data), want) {
		t.Errorf("the JUnit file lacks %s:\n%s", want, data)
	}
	if row := indexRowOf("rq", spec, nil); !row.StillRising {
		t.Error("the index row of a pass with a caveat does not say it was still rising")
	}
	failed := spec
	failed.Verdict, failed.State = VerdictFail, types.SpecStateFailed.String()
	if row := indexRowOf("rq", failed, nil); row.StillRising {
		t.Error("the index row of a failure says it passed while still rising")
	}
	if err := writeDetails(dir, SuiteSummary{Suite: "rq"}, spec, nil); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(DetailsPath(dir, "rq", spec.File))
	if err != nil {
		t.Fatal(err)
	}
	if want := `it did<p class="caveat">Memory was still rising when the run ended`; !strings.Contains(string(page), want) {
		t.Errorf("the spec's page lacks %s:\n%s", want, page)
	}
}
