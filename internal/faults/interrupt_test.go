package faults

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/leakspec/leakspec/internal/leftover"
)

// startCLI runs the fault suite's specs of one label through the Ginkgo CLI,
// which runs the suite's compiled binary as its child, as
// `go tool ginkgo` does.
func startCLI(t *testing.T, r *run, label string, flags ...string) {
	t.Helper()
	argv := append([]string{ginkgoCLI(t), "--no-color", "--label-filter=" + label}, flags...)
	r.start(moduleRoot(t), r.environ(), append(argv, faultsSuite(t))...)
}

// suiteBinaryPid returns the pid of the suite's binary, the CLI's child.
func suiteBinaryPid(t *testing.T, r *run) int {
	t.Helper()
	procs, err := leftover.Processes(r.id, r.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if strings.HasPrefix(p.Cmdline, faultsSuite(t)+" ") {
			return p.Pid
		}
	}
	t.Fatalf("no process of the run is the suite's binary: %v", procs)
	return 0
}

// expectInterrupted checks the JUnit file of a run interrupted in its
// "interrupt" spec, and that the spec's files were written.
func expectInterrupted(t *testing.T, r *run) {
	t.Helper()
	c := r.testcase("faults", "is interrupted mid-run")
	expectFailure(t, c, "interrupted", regexp.MustCompile(`^Interrupted by User$`))
	if f := failure(c); f != nil && !strings.Contains(f.Description, "wait for 600 jobs on faults") {
		t.Errorf("the interrupted spec does not say what it was waiting for:\n%s", f.Description)
	}
	r.expectFiles(c, "csv", "log", "png")
	for _, name := range []string{"summary.json", "index.html"} {
		if _, err := os.Stat(filepath.Join(r.reportDir(), name)); err != nil {
			t.Errorf("the run left no %s: %v", name, err)
		}
	}
}

// TestInterruptProcessGroup presses Ctrl-C: SIGINT to the whole foreground
// process group, the Ginkgo CLI and the suite's binary alike, mid-spec.
func TestInterruptProcessGroup(t *testing.T) {
	r := newRun(t, "sigint")
	startCLI(t, r, "interrupt")
	r.announced("interrupt")
	r.signalGroup(syscall.SIGINT)
	if code := r.wait(); code == 0 {
		t.Fatalf("the interrupted run passed:\n%s", r.out())
	}
	expectInterrupted(t, r)
	r.nothingLeft()
}

// TestInterruptCLIOnly sends SIGINT to the Ginkgo CLI alone, as `kill -INT`
// would. The CLI does not pass it on to the suite's binary: it only runs no
// further suite. The suite that runs goes on to its end, its specs keep
// their verdicts, and nothing is left.
func TestInterruptCLIOnly(t *testing.T) {
	r := newRun(t, "cli-sigint")
	startCLI(t, r, "quick")
	r.announced("quick")
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r.wait()
	for _, c := range r.cases("faults") {
		if strings.Contains(c.Name, "running briefly") {
			if f := failure(c); f != nil {
				t.Errorf("%q failed after the CLI alone was interrupted: %s", c.Name, f.Message)
			}
		}
	}
	r.nothingLeft()
}

// TestCLIKilled SIGKILLs the Ginkgo CLI mid-spec. Its suite's binaries learn
// of it from the kernel (PR_SET_PDEATHSIG, armed by fixtures.Setup), stop
// their workers and containers, and a serial run writes its reports as if
// interrupted. A parallel run cannot: Ginkgo gathers the processes' reports
// in the CLI, so its JUnit file is lost with it, but nothing is left.
func TestCLIKilled(t *testing.T) {
	for _, procs := range []string{"1", "2"} {
		t.Run("procs="+procs, func(t *testing.T) {
			r := newRun(t, "cli-killed-"+procs)
			startCLI(t, r, "interrupt || quick", "--procs="+procs)
			r.announced("interrupt")
			if err := r.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			r.wait()
			// The suite's binaries are nobody's children now: wait for
			// them to go.
			r.nothingLeft()
			if procs == "1" {
				expectInterrupted(t, r)
			}
		})
	}
}

// TestSuiteBinaryTimedOut lets go test's own -timeout end the suite's binary
// mid-spec, as a CI job's test timeout does: the binary panics and exits at
// once, running no cleanup, no Stop and no Terminate. Its reaper
// (internal/reaper) ends the worker's processes and removes the Redis
// container.
func TestSuiteBinaryTimedOut(t *testing.T) {
	r := newRun(t, "timed-out")
	r.start(suiteDir(t), r.environ(), faultsSuite(t), "-ginkgo.label-filter=interrupt", "-ginkgo.no-color", "-test.timeout=12s")
	r.announced("interrupt")
	if code := r.wait(); code == 0 {
		t.Fatalf("the run passed although it was to time out:\n%s", r.out())
	}
	if !strings.Contains(r.out(), "panic: test timed out after 12s") {
		t.Fatalf("the run did not end by go test's timeout:\n%s", r.out())
	}
	r.nothingLeft()
}

// TestHangup closes the terminal: SIGHUP to the foreground group. The CLI
// dies of it; the suite's binary takes it as an interrupt.
func TestHangup(t *testing.T) {
	r := newRun(t, "sighup")
	startCLI(t, r, "interrupt")
	r.announced("interrupt")
	r.signalGroup(syscall.SIGHUP)
	r.wait()
	r.nothingLeft()
	expectInterrupted(t, r)
}

// TestInterruptEverySuite runs each suite under suites/, listed now so that
// a suite added later is covered too, with `go tool ginkgo` as a person
// would, and presses Ctrl-C once a worker runs (the selftest suite: after
// 20 s). Each run must write its JUnit file and leave nothing behind.
func TestInterruptEverySuite(t *testing.T) {
	root := moduleRoot(t)
	entries, err := os.ReadDir(filepath.Join(root, "suites"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		suite := e.Name()
		t.Run(suite, func(t *testing.T) {
			r := newRun(t, "suite-"+suite)
			r.start(root, r.environ(), "go", "tool", "ginkgo", "--no-color", "./suites/"+suite)
			if suite == "selftest" {
				select {
				case <-r.done:
				case <-time.After(20 * time.Second):
				}
			} else {
				awaitWorker(t, r, 3*time.Second)
			}
			select {
			case <-r.done:
				t.Logf("the %s suite ended before it could be interrupted", suite)
			default:
				r.signalGroup(syscall.SIGINT)
			}
			r.wait()
			r.nothingLeft()
			junit, _ := filepath.Glob(filepath.Join(r.reportDir(), "*.junit.xml"))
			if len(junit) != 1 {
				t.Fatalf("the interrupted run wrote JUnit files %q, want one:\n%s", junit, r.out())
			}
			var suites reporters.JUnitTestSuites
			if data, err := os.ReadFile(junit[0]); err != nil || xml.Unmarshal(data, &suites) != nil || len(suites.TestSuites) != 1 {
				t.Fatalf("%s is not a JUnit file (%v)", junit[0], err)
			}
			for _, c := range suites.TestSuites[0].TestCases {
				if c.Error != nil && c.Error.Type == "interrupted" {
					t.Logf("interrupted in %q", c.Name)
				}
			}
		})
	}
}

// awaitWorker waits until a worker of the run has run for settle, and
// returns early if the run ends. A worker has started once the suite has
// opened a spec's log, <reports>/<suite>/<spec>.log, which fixtures do as
// they start one, whatever the worker system.
func awaitWorker(t *testing.T, r *run, settle time.Duration) {
	t.Helper()
	for {
		if logs, _ := filepath.Glob(filepath.Join(r.reportDir(), "*", "*.log")); len(logs) > 0 {
			t.Logf("a worker runs: %s", filepath.Base(logs[0]))
			select {
			case <-r.done:
			case <-time.After(settle):
			}
			return
		}
		select {
		case <-r.done:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
