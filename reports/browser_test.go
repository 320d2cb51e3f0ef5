package reports

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/onsi/ginkgo/v2/types"
)

// writeDashboardRun writes the report directory of a run with a spec of
// every outcome a person must tell apart: a failure, a leak caught, two
// passes, a skip and an inconclusive one, over two suites, with the files
// a real run leaves (CSV, plots, log, a heap attribution file).
func writeDashboardRun(t *testing.T, dir string) {
	t.Helper()
	type spec struct {
		suite, text string
		labels      []string
		state       types.SpecState
		perMinute   float64
		judgment    Judgment
		failure     string
	}
	plateau := Judgment{Expectation: "plateau within 24.0 MB", Budget: 24_000_000}
	caught := plateau
	caught.Leak = true
	rising := plateau
	rising.Caveat = stillRisingCaveat
	specs := []spec{
		{"rq", "drops every row", []string{"rq"}, types.SpecStatePassed, 0, plateau, ""},
		{"rq", "keeps every row (positive control)", []string{"rq", "control"}, types.SpecStatePassed, 1200 * mb, caught, ""},
		{"rq", "keeps the rows of failed jobs", []string{"rq"}, types.SpecStateFailed, 600 * mb, plateau,
			"Expected memory to plateau within 24.0 MB, but it kept growing"},
		{"celery", "a prefork pool plateaus", []string{"celery"}, types.SpecStatePassed, 0, rising, ""},
		{"celery", "a solo pool was too short", []string{"celery", "slow"}, types.SpecStateFailed, 0, plateau,
			"PlateauWithin is inconclusive: 2 of 6 windows hold enough samples; record for longer or sample more often"},
		{"celery", "a gevent pool", []string{"celery"}, types.SpecStateSkipped, 0, plateau, ""},
	}
	byName := map[string]*types.Report{}
	for _, s := range specs {
		r := byName[s.suite]
		if r == nil {
			r = &types.Report{SuiteDescription: "leakspec " + s.suite, StartTime: started, RunTime: 30 * time.Second, SuiteSucceeded: true}
			byName[s.suite] = r
		}
		sr := types.SpecReport{ContainerHierarchyTexts: []string{"a worker"}, LeafNodeType: types.NodeTypeIt,
			LeafNodeText: s.text, LeafNodeLabels: s.labels, State: s.state}
		if s.state != types.SpecStateSkipped {
			rec := peaksOnALine(s.perMinute)
			j := s.judgment
			j.Met = s.perMinute == 0 && s.failure == ""
			sr.RunTime = 10 * time.Second
			sr.ReportEntries = types.ReportEntries{
				{Name: EntryFigures, Value: types.WrapEntryValue(FiguresOf(rec))},
				{Name: EntryJudgment, Value: types.WrapEntryValue(j)},
			}
			if s.failure != "" {
				sr.Failure, r.SuiteSucceeded = types.Failure{Message: s.failure}, false
			}
			summary, err := SpecOf(sr)
			if err != nil {
				t.Fatal(err)
			}
			stem := filepath.Join(dir, s.suite, summary.File)
			if err := WriteCSV(stem+".csv", rec); err != nil {
				t.Fatal(err)
			}
			if err := WritePlots(stem, rec, summary); err != nil {
				t.Fatal(err)
			}
			for _, ext := range []string{".log", ".pyheap.txt"} {
				if err := os.WriteFile(stem+ext, []byte(s.text+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		r.SpecReports = append(r.SpecReports, sr)
	}
	for suite, r := range byName {
		if err := WriteJUnit(dir, suite, *r); err != nil {
			t.Fatal(err)
		}
		s, err := SuiteOf(suite, *r)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteSuiteSummary(dir, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := UpdateIndex(dir, started.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// browser starts a headless Chromium, Debian's package, for one test; it
// talks to it over loopback only. The test is skipped where there is none.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium; .ci/run installs it): the index is not checked in a browser")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		// Root in a container has no user namespace for the sandbox.
		chromedp.NoSandbox, chromedp.WindowSize(1400, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// visibleRows returns the outcome and name of each row a person sees, top
// to bottom.
const visibleRows = `Array.from(document.querySelectorAll("#specs tbody tr"))
	.filter(r => r.getClientRects().length > 0).map(r => r.dataset.outcome + ": " + r.cells[2].querySelector("a").textContent)`

// eval evaluates a script on the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script))
	if err != nil {
		t.Fatalf("evaluate %s: %v", script, err)
	}
	return v
}

// do runs browser actions, failing the test on the first error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func TestIndexInABrowser(t *testing.T) {
	dir := t.TempDir()
	writeDashboardRun(t, dir)
	ctx := browser(t)
	index := (&url.URL{Scheme: "file", Path: filepath.Join(dir, IndexFile)}).String()

	do(t, ctx, chromedp.Navigate(index))
	totals := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#totals li")).map(li => li.innerText.replace(/\s+/g, " "))`)
	if want := []string{"1 failed", "0 regressed", "1 inconclusive", "1 leak caught", "2 passed", "1 skipped", "1 min 0 s run time"}; !slices.Equal(totals, want) {
		t.Errorf("the totals read %q, want %q", totals, want)
	}
	want := []string{
		"failed: a worker keeps the rows of failed jobs",
		"inconclusive: a worker a solo pool was too short",
		"leak caught: a worker keeps every row (positive control)",
		// Within an outcome, suite by suite, as they ran.
		"passed: a worker a prefork pool plateaus",
		"passed: a worker drops every row",
		"skipped: a worker a gevent pool",
	}
	if rows := eval[[]string](t, ctx, visibleRows); !slices.Equal(rows, want) {
		t.Errorf("the rows read, top to bottom,\n%q, want failures first,\n%q", rows, want)
	}

	// A pass whose memory was still rising says so under its name, on the
	// page as on its own page.
	caveats := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#specs .caveat")).map(e => e.closest("tr").cells[2].querySelector("a").textContent + ": " + e.innerText)`)
	if want := []string{"a worker a prefork pool plateaus: passed, but memory was still rising when the run ended: a longer load may fail it"}; !slices.Equal(caveats, want) {
		t.Errorf("the index's caveats read %q, want %q", caveats, want)
	}
	// A click on the failed total shows the failures only, as a choice of
	// "failed" in the outcome filter does.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#totals li[data-outcome="failed"]`)))
	filtered := eval[[]string](t, ctx, visibleRows)
	outcome, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#f-outcome`)))
	if err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#shown`)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(filtered, want[:1]) || outcome != "failed" || shown != "1 of 6 specs shown" {
		t.Errorf("filtered by failed, the page shows %q (filter %q, %q), want %q", filtered, outcome, shown, want[:1])
	}
	// A label chosen in its filter, then the rows sorted by peak, highest
	// first: two clicks on its heading.
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#f-outcome`), ""),
		chromedp.SetValue(chromedp.CSS(`#f-label`), "rq"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-label").dispatchEvent(new Event("change"))`),
		chromedp.Click(chromedp.CSS(`th[data-column="peak"] button`)),
		chromedp.Click(chromedp.CSS(`th[data-column="peak"] button`)),
	)
	if sorted, want := eval[[]string](t, ctx, visibleRows), []string{"leak caught: a worker keeps every row (positive control)",
		"failed: a worker keeps the rows of failed jobs", "passed: a worker drops every row"}; !slices.Equal(sorted, want) {
		t.Errorf("the rq specs by peak, highest first, read %q, want %q", sorted, want)
	}
	if path := os.Getenv("LEAKSPEC_SCREENSHOT"); path != "" {
		do(t, ctx, chromedp.Navigate(index))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Every link and image of the index and of every spec's page is a file
	// of the report directory.
	pages := []string{index}
	checked := 0
	for i := 0; i < len(pages); i++ {
		do(t, ctx, chromedp.Navigate(pages[i]))
		for _, link := range eval[[]string](t, ctx, `Array.from(document.querySelectorAll("a[href], img[src]")).map(e => e.href || e.src)`) {
			u, err := url.Parse(link)
			if err != nil || u.Scheme != "file" {
				t.Errorf("%s links to %s, not a file beside it", pages[i], link)
				continue
			}
			if _, err := os.Stat(u.Path); err != nil {
				t.Errorf("%s links to %s, which does not exist", pages[i], link)
			}
			checked++
			if pages[i] == index && strings.HasSuffix(u.Path, ".html") && !slices.Contains(pages, link) {
				pages = append(pages, link)
			}
		}
	}
	if len(pages) != 7 || checked < 60 {
		t.Errorf("checked %d links on %d pages, want the index and 6 spec pages", checked, len(pages))
	}
}

func TestIndexWithoutJavaScript(t *testing.T) {
	dir := t.TempDir()
	writeDashboardRun(t, dir)
	ctx := browser(t)
	do(t, ctx, func(ctx context.Context, target *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	}, chromedp.Navigate((&url.URL{Scheme: "file", Path: filepath.Join(dir, IndexFile)}).String()))
	// Evaluate runs through the debugging protocol, which disabled scripts
	// do not stop; the page's own script did not run.
	rows := eval[[]string](t, ctx, visibleRows)
	if len(rows) != 6 || !strings.HasPrefix(rows[0], "failed: ") {
		t.Errorf("without JavaScript the table shows %q, want all 6 specs, failures first", rows)
	}
	if eval[bool](t, ctx, `document.getElementById("filters").getClientRects().length > 0`) {
		t.Error("without JavaScript the page shows filters that cannot work")
	}
}
