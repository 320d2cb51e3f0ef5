package pyheap_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/worker/pyheap"
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

// heapReport starts s's worker with the probe, warms it up with drop calls
// (enough for every process), starts tracing, runs n calls of fn and
// returns the report.
func heapReport(t *testing.T, s system, fn string, n, mb int) *pyheap.Report {
	t.Helper()
	return heapReportFrames(t, s, fn, n, mb, 0)
}

// heapReportFrames is heapReport tracing frames frames (0: the default).
func heapReportFrames(t *testing.T, s system, fn string, n, mb, frames int) *pyheap.Report {
	t.Helper()
	probe := installProbe(t)
	run := s.start(t, probe)
	run("drop", 6, 1)
	ctx := t.Context()
	if err := probe.Start(ctx, frames); err != nil {
		t.Fatal(err)
	}
	before, err := probe.Snapshot(ctx, "before")
	if err != nil {
		t.Fatal(err)
	}
	run(fn, n, mb)
	report, err := probe.Report(ctx, before, pyheap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s x%d of %d MiB:\n%s", fn, n, mb, report.Text())
	return report
}

func TestKeepNamesTheLineAndTheModuleGlobal(t *testing.T) {
	for _, s := range systems {
		t.Run(s.name, func(t *testing.T) { testKeep(t, s) })
	}
}

func testKeep(t *testing.T, s system) {
	report := heapReport(t, s, "keep", 10, 4)
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

func TestKeepDecodedNamesWhoCalledTheStandardLibrary(t *testing.T) {
	// json.loads spends the 3 frames kept by default inside the library.
	report := heapReport(t, systems[0], "keep_decoded", 10, 1)
	want := "  all 3 frames kept are Python's standard library: trace more, fixtures.TraceHeapFrames(6), to reach the code that asked it for this memory"
	if text := report.Text(); !strings.Contains(text, want) {
		t.Errorf("Text() lacks %q:\n%s", want, text)
	}
	report = heapReportFrames(t, systems[0], "keep_decoded", 10, 1, 6)
	want = fmt.Sprintf(" <- 2 frames in the standard library <- heap_jobs.py:%d (_kept.append(json.loads(payload))) <- ", lineOf(t, "_kept.append(json.loads("))
	if text := report.Text(); !strings.Contains(text, want) {
		t.Errorf("with 6 frames, Text() lacks %q:\n%s", want, text)
	}
}

// TestKeepManySmallNamesWhatHoldsThem is a leak of many small objects,
// none of which the search for the largest reaches: the report explains one
// object of the site that grew.
func TestKeepManySmallNamesWhatHoldsThem(t *testing.T) {
	for _, s := range systems {
		t.Run(s.name, func(t *testing.T) {
			report := heapReport(t, s, "keep_pending", 10, 1)
			wantSite := fmt.Sprintf(" at heap_jobs.py:%d (pending[len(pending)] = ", lineOf(t, `pending[len(pending)] = {`))
			// The object is one of the 16 KB results, which hold the site's
			// bytes, rather than one of the ints that key them.
			wantObject := "  retained by: str (16.0 KB) <- dict['result'] <- dict["
			wantRoot := "] <- Backend._pending_messages <- heap_jobs._backend (module global)"
			text := report.Text()
			first, _, _ := strings.Cut(text, "\ngc.collect()")
			for _, want := range []string{wantSite, wantObject, wantRoot} {
				if !strings.Contains(first, want) {
					t.Errorf("Text() lacks %q before its GC diagnosis:\n%s", want, text)
				}
			}
			for _, rt := range report.Retained {
				if !rt.BySite {
					t.Errorf("retained %s was found among the largest objects, which are all under 1 MiB here", strings.Join(rt.Chain, " <- "))
				}
			}
		})
	}
}

// TestChainsReachTheRootPastGarbage: a leak's holder is reached past
// holders that are garbage, thousands of one kind. With the backend in a
// thread-local, the search must not spend its width on the one kind; with
// half a site's objects held by garbage, the report must name the buffer
// that holds the rest, whose chain reaches a root.
func TestChainsReachTheRootPastGarbage(t *testing.T) {
	for _, tc := range []struct {
		fn, object, root string
	}{
		{"keep_pending_in_local", "<- Backend._pending_messages <- dict['backend'] <- ", "<- App._local <- heap_jobs._app (module global)"},
		{"keep_half_pending", "  retained by: str (16.0 KB) <- dict['result'] <- dict[", "] <- Backend._pending_messages <- heap_jobs._backend (module global)\n"},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			report := heapReport(t, systems[0], tc.fn, 10, 1)
			if text := report.Text(); !strings.Contains(text, tc.object) || !strings.Contains(text, tc.root) {
				t.Errorf("Text() lacks %q ... %q:\n%s", tc.object, tc.root, text)
			}
		})
	}
}

func TestDropShowsNothingAlarming(t *testing.T) {
	for _, s := range systems {
		t.Run(s.name, func(t *testing.T) { testDrop(t, s) })
	}
}

func testDrop(t *testing.T, s system) {
	report := heapReport(t, s, "drop", 10, 4)
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

func TestCycleIsGarbageNotALeak(t *testing.T) {
	for _, s := range systems {
		t.Run(s.name, func(t *testing.T) { testCycle(t, s) })
	}
}

func testCycle(t *testing.T, s system) {
	report := heapReport(t, s, "cycle", 10, 4)
	objects, freed := report.Freed()
	if !report.CyclicGarbage() || freed < 20<<20 {
		t.Errorf("gc.collect() freed %d objects and %d traced bytes of a traced growth of %d; want most of it, at least 20 MiB", objects, freed, report.TracedGrowth)
	}
	if text := report.Text(); !strings.Contains(text, "garbage in reference cycles") {
		t.Errorf("Text() lacks the cyclic garbage verdict:\n%s", text)
	}
}

// TestCycleWithoutTracing is the GC diagnosis alone, which needs no
// tracing and so costs a spec nothing: the size of the garbage
// gc.collect() frees, beside the growth of RSS, tells a leak from garbage.
func TestCycleWithoutTracing(t *testing.T) {
	for _, fn := range []string{"keep", "cycle"} {
		t.Run(fn, func(t *testing.T) {
			probe := installProbe(t)
			run := startRQ(t, probe)
			run("drop", 3, 1)
			before, err := probe.Snapshot(t.Context(), "before")
			if err != nil {
				t.Fatal(err)
			}
			run(fn, 10, 4)
			report, err := probe.Report(t.Context(), before, pyheap.Options{})
			if err != nil {
				t.Fatal(err)
			}
			text := report.Text()
			t.Logf("%s without tracing:\n%s", fn, text)
			if !strings.HasPrefix(text, "Allocation sites: tracing was off") || !strings.Contains(text, "of garbage (by size) of an RSS growth of ") {
				t.Errorf("Text() does not say tracing was off and give RSS:\n%s", text)
			}
			if got, want := report.CyclicGarbage(), fn == "cycle"; got != want {
				t.Errorf("CyclicGarbage() = %v, want %v", got, want)
			}
		})
	}
}
