package reports

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
)

// WriteIndex writes the run's HTML index to <dir>/index.html, and beside
// each spec's files its page of details, <suite>/<spec>.html.
//
// The index is a dashboard: the run's totals at the top, then one row per
// spec of every suite in s, failures first, with its figures; a script
// inlined in the page sorts the rows by any column and filters them by
// outcome, suite and label, and without it the table still reads in that
// order. Plots are linked as the files beside it, never inlined, so the page
// stays a few kilobytes a spec and opens from file:// with no network.
func WriteIndex(dir string, s Summary, generated time.Time) error {
	page := indexPage{Generated: generated.Format("2006-01-02 15:04:05 MST")}
	counts := map[string]int{}
	var first time.Time
	for _, suite := range s.Suites {
		page.Suites = append(page.Suites, suiteFiles(dir, suite))
		page.RunTimeS += suite.RunTimeS
		if first.IsZero() || suite.Started.Before(first) {
			first = suite.Started
		}
		files, err := specFiles(dir, suite)
		if err != nil {
			return fmt.Errorf("write index: %w", err)
		}
		for _, spec := range suite.Specs {
			row := indexRowOf(suite.Suite, spec, files[spec.File])
			counts[row.Outcome]++
			page.Rows = append(page.Rows, row)
			for _, l := range spec.Labels {
				if !slices.Contains(page.Labels, l) {
					page.Labels = append(page.Labels, l)
				}
			}
			if err := writeDetails(dir, suite, spec, files[spec.File]); err != nil {
				return err
			}
		}
	}
	slices.Sort(page.Labels)
	// Failures first; within an outcome, the order the suites and their
	// specs ran in, which SliceStable keeps.
	slices.SortStableFunc(page.Rows, func(a, b indexRow) int { return cmp.Compare(a.Rank, b.Rank) })
	for i := range page.Rows {
		page.Rows[i].Order = i
	}
	for _, o := range []string{OutcomeFailed, OutcomeRegressed, OutcomeInconclusive, OutcomeCaught, OutcomePassed, OutcomeSkipped} {
		page.Totals = append(page.Totals, total{Outcome: o, Count: counts[o], Class: outcomeClass(o)})
		if o != OutcomeSkipped {
			page.Outcomes = append(page.Outcomes, o)
		}
	}
	page.Outcomes = append(page.Outcomes, OutcomeSkipped)
	page.Specs, page.Failed = len(page.Rows), counts[OutcomeFailed]+counts[OutcomeRegressed]+counts[OutcomeInconclusive]
	if !first.IsZero() {
		page.Started = first.Local().Format("2006-01-02 15:04:05")
	}
	page.RunTime = formatSeconds(page.RunTimeS)
	var buf bytes.Buffer
	if err := indexTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	if err := writeAtomically(filepath.Join(dir, IndexFile), buf.Bytes()); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// lockFile serialises UpdateIndex between suites that finish together, as
// go test ./... runs them: each rewrites the whole summary and index.
const lockFile = ".leakspec.lock"

// UpdateIndex gathers every suite summary in dir into <dir>/summary.json and
// writes <dir>/index.html over them. Each suite of a run calls it when it
// ends, so after the last one both files cover the whole run; a lock on the
// directory keeps two suites that end together from overwriting each
// other's view.
//
// Suites of an earlier run whose summaries are still in dir are covered too,
// with their own start times, so a run of one suite keeps the others' last
// results in view. Empty the directory to start afresh (CI starts with none).
func UpdateIndex(dir string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	all, err := CollectSummaries(dir)
	if err != nil {
		return err
	}
	if err := WriteSummary(filepath.Join(dir, SummaryFile), all); err != nil {
		return err
	}
	return WriteIndex(dir, all, now)
}

type indexPage struct {
	Generated, Started, RunTime string
	RunTimeS                    float64
	Specs, Failed               int
	Totals                      []total
	// Outcomes, Suites and Labels are what the filters offer.
	Outcomes []string
	Suites   []suiteLinks
	Labels   []string
	Rows     []indexRow
}

type total struct {
	Outcome, Class string
	Count          int
}

// suiteLinks names a suite and the files it left for the whole suite.
type suiteLinks struct {
	Name, Description string
	Succeeded         bool
	Files             []string
}

// cell is one figure of a row: what it shows, and the number it sorts by
// (NaN, written as an empty sort key, when the spec has no such figure).
type cell struct {
	Text string
	Key  float64
}

// SortKey is the cell's data-key attribute.
func (c cell) SortKey() string {
	if math.IsNaN(c.Key) {
		return ""
	}
	return fmt.Sprint(c.Key)
}

type indexRow struct {
	Suite, Name, Verdict, Outcome, Class string
	Rank, Order                          int
	Labels                               []string
	// Details is the spec's page, Plot its PNG, when it has one.
	Details, Plot string
	Cells         []cell
	// Files are the spec's files: the link, and what it shows, the part
	// of the name after the spec's (csv, log, heap-before.pb.gz, ...).
	Files [][2]string
	// Heap is the gist of what holds a Python worker's memory, for a
	// spec that did not pass.
	Heap string
	// StillRising says that a spec passed with a caveat (Judgment.Caveat).
	StillRising bool
}

// indexColumns name the figures of a row, in the order of indexRow.Cells:
// a key for scripts and tests, and the heading.
var indexColumns = [][2]string{{"baseline", "baseline"}, {"peak", "peak"}, {"growth", "growth"}, {"rise", "rise"},
	{"slope", "slope (MB/min)"}, {"budget", "budget"}, {"samples", "samples"}, {"recorded", "recorded (s)"}}

// indexRowOf lays out one spec's row.
func indexRowOf(suite string, spec SpecSummary, files []string) indexRow {
	outcome := Outcome(spec)
	row := indexRow{Suite: suite, Name: spec.Name, Verdict: spec.Verdict, Outcome: outcome, Class: outcomeClass(outcome),
		Rank: outcomeRank[outcome], Labels: spec.Labels, Details: filepath.ToSlash(filepath.Join(suite, spec.File+".html"))}
	none := cell{Key: math.NaN()}
	size := func(b float64) cell { return cell{Text: bytesize.Format(uint64(b)), Key: b / float64(bytesize.MB)} }
	row.Cells = slices.Repeat([]cell{none}, len(indexColumns))
	if f := spec.Figures; f != nil && f.Samples > 0 {
		row.Cells[0], row.Cells[1] = size(float64(f.Baseline)), size(float64(f.Peak))
		row.Cells[2] = cell{Text: "+" + bytesize.Format(f.Growth), Key: float64(f.Growth) / float64(bytesize.MB)}
		if f.Slope != nil {
			row.Cells[3] = cell{Text: bytesize.FormatSigned(int64(math.Round(f.Rise))), Key: f.Rise / float64(bytesize.MB)}
			row.Cells[4] = cell{Text: mbValue(*f.Slope), Key: *f.Slope / float64(bytesize.MB)}
		}
		row.Cells[6] = cell{Text: fmt.Sprint(f.Samples), Key: float64(f.Samples)}
		row.Cells[7] = cell{Text: fmt.Sprintf("%.1f", f.DurationS), Key: f.DurationS}
	}
	if budget, _ := growthBudget(spec.Judgments); budget > 0 {
		row.Cells[5] = cell{Text: "+" + bytesize.Format(budget), Key: float64(budget) / float64(bytesize.MB)}
	}
	for _, name := range files {
		if strings.HasSuffix(name, ".png") && strings.TrimSuffix(name, ".png") == spec.File {
			row.Plot = filepath.ToSlash(filepath.Join(suite, name))
		}
	}
	for _, name := range files {
		row.Files = append(row.Files, [2]string{filepath.ToSlash(filepath.Join(suite, name)), strings.TrimPrefix(name, spec.File+".")})
	}
	if spec.Heap != nil && outcome != OutcomePassed && outcome != OutcomeSkipped {
		row.Heap = heapGist(*spec.Heap)
	}
	row.StillRising = outcome == OutcomePassed && slices.ContainsFunc(spec.Judgments, func(j Judgment) bool { return j.Caveat != "" })
	return row
}

// heapGist is a heap report in a line or two for a row of the index: the
// top allocation site and what retains it, when the heap was traced, and
// the GC diagnosis.
func heapGist(h Heap) string {
	var gist []string
	lines := strings.Split(h.Text, "\n")
	if h.Traced && len(lines) > 0 && !strings.HasPrefix(lines[0], "gc.collect()") {
		gist = append(gist, lines[0])
		if len(lines) > 1 && strings.HasPrefix(lines[1], "  retained by:") {
			gist = append(gist, lines[1])
		}
	}
	for _, line := range lines {
		if strings.HasPrefix(line, "gc.collect()") {
			gist = append(gist, line)
		}
	}
	return strings.Join(gist, "\n")
}

// outcomeClass is the CSS class that colours an outcome.
func outcomeClass(outcome string) string {
	switch outcome {
	case OutcomeFailed, OutcomeRegressed:
		return "bad"
	case OutcomeInconclusive:
		return "unsure"
	case OutcomeCaught:
		return "caught"
	case OutcomeSkipped:
		return "quiet"
	}
	return "good"
}

// specFiles lists the files of each spec of a suite: every file in
// <dir>/<suite>/ named with the spec's file name and an extension (its CSV,
// log, plots, and whatever else a run files there, such as heap profiles),
// but not its page of details. A file that also fits a spec with a longer
// name ("a.b" for "a.b.csv" beside "a") is that spec's.
func specFiles(dir string, suite SuiteSummary) (map[string][]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, suite.Suite))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	stems := make([]string, 0, len(suite.Specs))
	for _, spec := range suite.Specs {
		stems = append(stems, spec.File)
	}
	// Longest first, so a file goes to the longest stem it fits.
	slices.SortFunc(stems, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	files := map[string][]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		for _, stem := range stems {
			if strings.HasPrefix(name, stem+".") {
				if name != stem+".html" {
					files[stem] = append(files[stem], name)
				}
				break
			}
		}
	}
	return files, nil
}

// suiteFiles lists the files a suite leaves beside index.html.
func suiteFiles(dir string, suite SuiteSummary) suiteLinks {
	links := suiteLinks{Name: suite.Suite, Description: suite.Description, Succeeded: suite.Succeeded}
	for _, name := range []string{suite.Suite + ".junit.xml", suiteFile(suite.Suite)} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			links.Files = append(links.Files, name)
		}
	}
	return links
}

// formatSeconds writes a run time as a person reads it: "42.1 s", "3 min 5 s".
func formatSeconds(s float64) string {
	if s < 60 {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%d min %d s", int(s)/60, int(s)%60)
}

var indexTemplate = template.Must(template.New("index").Funcs(template.FuncMap{
	"columns": func() [][2]string { return indexColumns },
	"join":    strings.Join,
}).Parse(indexHTML))
