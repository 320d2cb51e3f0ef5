package reports

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// shardedSpec is a spec of the merge tests: which suite it is in, its
// labels, and how it ends when it runs.
type shardedSpec struct {
	suite, text string
	labels      []string
	state       types.SpecState
	perMinute   float64
}

var shardedSpecs = []shardedSpec{
	{"rq", "keeps every row", nil, types.SpecStateFailed, 1200 * mb},
	{"rq", "drops every row", nil, types.SpecStatePassed, 0},
	{"rq", "drops every row for an hour", []string{"slow"}, types.SpecStatePassed, 0},
	{"celery", "a prefork pool plateaus", nil, types.SpecStatePassed, 0},
}

// writeShard writes the report directory of a run that ran the specs run
// picks and skipped the others, as the suites' ReportAfterSuite writes it:
// each spec's CSV, plots and log, a file another part of leakspec adds
// (a heap attribution), then each suite's JUnit file and summary, and the
// index. Each suite took took[suite] and started at start[suite].
func writeShard(t *testing.T, dir, filter string, run func(shardedSpec) bool, took map[string]time.Duration, start map[string]time.Time) {
	t.Helper()
	byName := map[string]*types.Report{}
	for _, suite := range []string{"celery", "rq"} {
		byName[suite] = &types.Report{SuiteDescription: "leakspec " + suite, SuitePath: "/src/suites/" + suite,
			StartTime: start[suite], RunTime: took[suite], SuiteSucceeded: true,
			SuiteConfig: types.SuiteConfig{RandomSeed: 7, ParallelTotal: 1, LabelFilter: filter}}
	}
	for _, s := range shardedSpecs {
		sr := types.SpecReport{ContainerHierarchyTexts: []string{"a worker"}, LeafNodeType: types.NodeTypeIt,
			LeafNodeText: s.text, LeafNodeLabels: s.labels, State: types.SpecStateSkipped}
		if run(s) {
			rec := peaksOnALine(s.perMinute)
			// The same report in every directory, as a spec that ran
			// once: its entries' text holds pointers, different each time
			// the figures are made.
			sr = ranSpec(t, s)
			if s.state == types.SpecStateFailed {
				byName[s.suite].SuiteSucceeded = false
			}
			stem := filepath.Join(dir, s.suite, FileName(sr.FullText()))
			if err := WriteCSV(stem+".csv", rec); err != nil {
				t.Fatal(err)
			}
			spec, err := SpecOf(sr)
			if err != nil {
				t.Fatal(err)
			}
			if err := WritePlots(stem, rec, spec); err != nil {
				t.Fatal(err)
			}
			for _, ext := range []string{".log", ".pyheap.txt"} {
				if err := os.WriteFile(stem+ext, []byte(s.text+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		byName[s.suite].SpecReports = append(byName[s.suite].SpecReports, sr)
	}
	for suite, report := range byName {
		if err := WriteJUnit(dir, suite, *report); err != nil {
			t.Fatal(err)
		}
		s, err := SuiteOf(suite, *report)
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

// ranSpecs holds the report of each shardedSpec that ran, made once.
var ranSpecs = map[string]types.SpecReport{}

// ranSpec returns the report of s having run, as the ReportAfterSuite of
// a real run reads it, across processes.
func ranSpec(t *testing.T, s shardedSpec) types.SpecReport {
	if sr, ok := ranSpecs[s.text]; ok {
		return sr
	}
	f := FiguresOf(peaksOnALine(s.perMinute))
	j := Judgment{Expectation: "plateau within 24.0 MB", Budget: 24_000_000, Met: s.perMinute == 0}
	sr := types.SpecReport{ContainerHierarchyTexts: []string{"a worker"}, LeafNodeType: types.NodeTypeIt,
		LeafNodeText: s.text, LeafNodeLabels: s.labels, State: s.state, RunTime: 10 * time.Second,
		ReportEntries: types.ReportEntries{
			{Name: EntryFigures, Value: types.WrapEntryValue(f)},
			{Name: EntryJudgment, Value: types.WrapEntryValue(j)},
		}}
	if s.state == types.SpecStateFailed {
		sr.Failure = types.Failure{Message: "Expected memory to plateau within 24.0 MB, but it kept growing"}
	}
	ranSpecs[s.text] = acrossProcesses(t, sr)
	return ranSpecs[s.text]
}

// filesOf reads every file under dir but lock files, by relative path.
func filesOf(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[rel], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestMergeOfTwoShardsIsTheReportOfOneRun(t *testing.T) {
	slow := func(s shardedSpec) bool { return slices.Contains(s.labels, "slow") }
	fast := func(s shardedSpec) bool { return !slow(s) }
	root := t.TempDir()
	shardA, shardB, whole, merged := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "whole"), filepath.Join(root, "merged")

	// Two CI jobs split the specs by label, started a minute apart; the
	// one run over both started with the first and took as long as both.
	startA := map[string]time.Time{"rq": started, "celery": started.Add(20 * time.Second)}
	startB := map[string]time.Time{"rq": started.Add(time.Minute), "celery": started.Add(70 * time.Second)}
	tookA := map[string]time.Duration{"rq": 20 * time.Second, "celery": 12 * time.Second}
	tookB := map[string]time.Duration{"rq": 3 * time.Second, "celery": 500 * time.Millisecond}
	writeShard(t, shardA, "!slow", fast, tookA, startA)
	writeShard(t, shardB, "slow", slow, tookB, startB)
	writeShard(t, whole, "(!slow) || (slow)", func(shardedSpec) bool { return true },
		map[string]time.Duration{"rq": 23 * time.Second, "celery": 12500 * time.Millisecond}, startA)

	if err := MergeDirs(merged, []string{shardA, shardB}, started.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want, got := filesOf(t, whole), filesOf(t, merged)
	for rel, data := range want {
		switch {
		case got[rel] == nil:
			t.Errorf("the merge lacks %s", rel)
		case !bytes.Equal(got[rel], data):
			t.Errorf("the merge's %s differs from one run's:\n%s\nwant\n%s", rel, got[rel], data)
		}
	}
	for rel := range got {
		if want[rel] == nil {
			t.Errorf("the merge has %s, which one run does not", rel)
		}
	}
	if len(want) < 20 {
		t.Errorf("one run left only %d files; the comparison proves little", len(want))
	}
}

func TestMergeRefusesASpecThatRanTwice(t *testing.T) {
	root := t.TempDir()
	all := func(shardedSpec) bool { return true }
	took := map[string]time.Duration{"rq": time.Second, "celery": time.Second}
	start := map[string]time.Time{"rq": started, "celery": started}
	writeShard(t, filepath.Join(root, "a"), "", all, took, start)
	writeShard(t, filepath.Join(root, "b"), "", all, took, start)
	err := MergeDirs(filepath.Join(root, "out"), []string{filepath.Join(root, "a"), filepath.Join(root, "b")}, started)
	if err == nil {
		t.Fatal("the merge of two shards that ran the same specs succeeded")
	}
	want := `merge reports: `
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "two shards") {
		t.Errorf("the merge failed with %q, want an error naming two shards", err)
	}
}

func TestMergeRefusesADirectoryWithoutSummaries(t *testing.T) {
	empty := t.TempDir()
	err := MergeDirs(filepath.Join(t.TempDir(), "out"), []string{empty}, started)
	want := "merge reports: " + empty + " holds no suite summary (<suite>.summary.json); point at the report directory of a run"
	if err == nil || err.Error() != want {
		t.Errorf("MergeDirs of an empty directory = %v, want %q", err, want)
	}
}
