package pyheap_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker"
	"github.com/leakspec/leakspec/worker/pyheap"
	"github.com/leakspec/leakspec/worker/rq"
)

func python() string {
	if p := os.Getenv("LEAKSPEC_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

func testdata(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// lineOf is the line of testdata/heap_jobs.py that holds text, so that
// the tests name the allocating line without hard-coding its number.
func lineOf(t testing.TB, text string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdata(t), "heap_jobs.py"))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, text) {
			return i + 1
		}
	}
	t.Fatalf("no line of heap_jobs.py holds %q", text)
	return 0
}

// installProbe installs the probe in a short temporary directory: a Unix
// socket path has at most 107 bytes, and t.TempDir() under a long test
// name can be longer.
func installProbe(t testing.TB) *pyheap.Probe {
	t.Helper()
	dir, err := os.MkdirTemp("", "pyheap")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	probe, err := pyheap.Install(dir)
	if err != nil {
		t.Fatal(err)
	}
	return probe
}

// waitProbes waits until n processes' probes answer.
func waitProbes(t testing.TB, probe *pyheap.Probe, n int) []int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pids, err := probe.Pids()
		if err != nil {
			t.Fatal(err)
		}
		if len(pids) >= n {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d probes listen in %s after 30s, want %d", len(pids), probe.Dir, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startRQ(t *testing.T, probe *pyheap.Probe) (*rq.Queue, *worker.Process) {
	t.Helper()
	rdb := redistest.Client(t)
	cmd := probe.Apply(rq.WorkerCommand(rq.WorkerOptions{
		Python: python(), Dir: testdata(t), RedisURL: redistest.URL(rdb),
		LogPath: filepath.Join(t.TempDir(), "worker.log"),
	}))
	p, err := worker.Start(t.Context(), cmd)
	if p != nil {
		t.Cleanup(func() { _ = p.Stop() })
	}
	if err != nil {
		t.Fatal(err)
	}
	waitProbes(t, probe, 1)
	return rq.NewQueue(rdb, rq.DefaultQueue), p
}

// runRQ enqueues n calls of fn(mb) and waits until done jobs in all have
// finished.
func runRQ(t *testing.T, q *rq.Queue, fn string, n, mb, done int) {
	t.Helper()
	jobs := make([]rq.Job, n)
	for i := range jobs {
		jobs[i] = rq.Job{Func: "heap_jobs." + fn, Args: []any{mb}}
	}
	if _, err := q.EnqueueMany(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	progress, err := q.WaitFinished(ctx, done, 0)
	if err != nil {
		t.Fatal(err)
	}
	if progress.Failed > 0 {
		t.Fatalf("%d jobs failed", progress.Failed)
	}
}

// rqReport warms the worker up with drop jobs, starts tracing, runs n
// jobs of fn and returns the report.
func rqReport(t *testing.T, fn string, n, mb int) *pyheap.Report {
	t.Helper()
	probe := installProbe(t)
	q, _ := startRQ(t, probe)
	runRQ(t, q, "drop", 3, 1, 3)
	ctx := t.Context()
	if err := probe.Start(ctx, 0); err != nil {
		t.Fatal(err)
	}
	before, err := probe.Snapshot(ctx, "before")
	if err != nil {
		t.Fatal(err)
	}
	runRQ(t, q, fn, n, mb, 3+n)
	report, err := probe.Report(ctx, before, pyheap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s x%d of %d MiB:\n%s", fn, n, mb, report.Text())
	return report
}

func TestRQKeepNamesTheLineAndTheModuleGlobal(t *testing.T) {
	report := rqReport(t, "keep", 10, 4)
	keepLine := lineOf(t, "_kept.append(")
	if len(report.Growth) == 0 {
		t.Fatal("no site grew")
	}
	top := report.Growth[0]
	if got := top.Frames[0]; filepath.Base(got.File) != "heap_jobs.py" || got.Line != keepLine {
		t.Errorf("top site %s, want heap_jobs.py:%d", got, keepLine)
	}
	if top.SizeDiff < 40<<20 || top.CountDiff < 10 {
		t.Errorf("top site grew %d bytes in %d blocks, want at least 40 MiB in 10 or more", top.SizeDiff, top.CountDiff)
	}
	text := report.Text()
	wantSite := fmt.Sprintf("at heap_jobs.py:%d (_kept.append(bytearray(mb << 20)))", keepLine)
	wantChain := "retained by: bytearray (4.2 MB) <- list["
	wantRoot := "] <- heap_jobs._kept (module global)"
	for _, want := range []string{wantSite, wantChain, wantRoot, "the growth is reachable, not garbage."} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
	if report.CyclicGarbage() {
		t.Errorf("CyclicGarbage() = true for memory a module global keeps")
	}
}

func TestRQDropShowsNothingAlarming(t *testing.T) {
	report := rqReport(t, "drop", 10, 4)
	for _, g := range report.Growth {
		if g.SizeDiff >= 1<<20 {
			t.Errorf("site %s grew %d bytes after jobs that keep nothing", g.Frames[0], g.SizeDiff)
		}
	}
	for _, r := range report.Retained {
		t.Errorf("retained after jobs that keep nothing: %s", strings.Join(r.Chain, " <- "))
	}
	if text := report.Text(); !strings.HasPrefix(text, "No allocation site grew by 1.0 MB or more") {
		t.Errorf("Text() = %q, want it to start with No allocation site grew", text)
	}
}

func TestRQCycleIsGarbageNotALeak(t *testing.T) {
	report := rqReport(t, "cycle", 10, 4)
	objects, freed := report.Freed()
	if !report.CyclicGarbage() || freed < 20<<20 {
		t.Errorf("gc.collect() freed %d objects and %d traced bytes of a traced growth of %d; want most of it, at least 20 MiB", objects, freed, report.TracedGrowth)
	}
	if text := report.Text(); !strings.Contains(text, "garbage in reference cycles") {
		t.Errorf("Text() lacks the cyclic garbage verdict:\n%s", text)
	}
}
