package faults

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// suiteDir is where the fault suite's sources are; its binary runs there,
// as Ginkgo would run it.
func suiteDir(t *testing.T) string {
	return filepath.Join(moduleRoot(t), "internal", "faults", "testdata", "suite")
}

// startFaults runs the fault suite's specs of one label, without the CLI.
func startFaults(t *testing.T, r *run, label string, env ...string) {
	t.Helper()
	r.start(suiteDir(t), r.environ(env...), faultsSuite(t), "-ginkgo.label-filter="+label, "-ginkgo.no-color")
}

// TestFaultsWithinSpecs runs the faults that happen inside a spec, each in a
// spec of its own, in one run of the suite with a 192 MB ceiling.
func TestFaultsWithinSpecs(t *testing.T) {
	r := newRun(t, "in-spec")
	startFaults(t, r, "in-spec", "LEAKSPEC_CEILING=192MB")
	if code := r.wait(); code == 0 {
		t.Fatalf("the run passed:\n%s", r.out())
	}

	crash := r.testcase("faults", "crashes as it starts")
	expectFailure(t, crash, "failed", regexp.MustCompile(
		`(?s)^start worker: python3 exited with status 1 before it was ready; last log lines \(\S+\.log\):\n.*Connection refused`))
	r.expectFiles(crash, "log")

	// The tail shows the loop; it ends wherever the loop was after 3 s,
	// which may be in the middle of a traceback.
	loop := r.testcase("faults", "crash-loops")
	expectFailure(t, loop, "failed", regexp.MustCompile(
		`(?s)^start worker: python3 was not ready after 3s \(waiting for a log line matching "\^ready\$"\); last log lines \(\S+\.log\):\n.*supervisor: worker \d+ exited with status 1; restarting it(\n|$)`))

	// A worker that ignores SIGTERM is killed with its group at once, since
	// no handler of its can run; its memory was measured as asked, so the
	// spec keeps its verdict, and the report says how the worker was
	// stopped.
	stubborn := r.testcase("faults", "ignores SIGTERM")
	if f := failure(stubborn); f != nil {
		t.Errorf("%q failed: %s", stubborn.Name, f.Message)
	}
	if got, want := property(stubborn, "worker_stop"), "The worker ignores SIGTERM, so its process group was killed with SIGKILL at once."; got != want {
		t.Errorf("%q: worker_stop = %q, want %q", stubborn.Name, got, want)
	}
	r.expectFiles(stubborn, "csv", "log", "png")

	// A worker that exits by itself with status 0 is judged on what was
	// recorded while it ran: the samples of the ended tree would read as
	// memory freed and pass the leak.
	exits := r.testcase("faults", "exits on its own while it leaks")
	expectFailure(t, exits, "failed", regexp.MustCompile(
		`^Expected memory to plateau within 32\.0 MB, but it kept growing, to \+\d+\.\d MB above its baseline`))
	if got, want := property(exits, "worker_exit"), regexp.MustCompile(
		`^The worker exited with status 0 \d+\.\d s into the recording, before the spec stopped it: its memory is judged on what was recorded while it ran\.$`); !want.MatchString(got) {
		t.Errorf("%q: worker_exit = %q, want it to match %q", exits.Name, got, want)
	}
	r.expectFiles(exits, "csv", "log", "png")

	// A slow leak under a load too short for it to add the budget passes,
	// and the pass says that memory was still rising and how long a run
	// would tell, on the console as in the JUnit file.
	creep := r.testcase("faults", "passes a slow leak under too short a load, and says so")
	if f := failure(creep); f != nil {
		t.Errorf("%q failed: %s", creep.Name, f.Message)
	}
	stillRising := regexp.MustCompile(`^Memory was still rising when the run ended: by at least \d+\.\d MB/min \(95 %\), \+\d+\.\d MB over the \d+\.\d s judged, ` +
		`more than a quarter of the 32\.0 MB allowed\. If this spec guards a slow leak, load it for longer: a climb that steady adds the 16\.0 MB that fail the spec in about \d+\.\d s judged, and a run of \d+\.\d s or more judges twice that\.$`)
	if got := property(creep, "caveat"); !stillRising.MatchString(got) {
		t.Errorf("%q: caveat = %q, want it to match %q", creep.Name, got, stillRising)
	}
	if !strings.Contains(r.out(), "Memory was still rising when the run ended") {
		t.Errorf("the console does not show the caveat:\n%s", r.out())
	}

	// Two processes of one spec each keep their own log.
	logs := r.testcase("faults", "logs each process it starts to a file of its own")
	if f := failure(logs); f != nil {
		t.Errorf("%q failed: %s", logs.Name, f.Message)
	}

	ceiling := r.testcase("faults", "leaks through the memory ceiling")
	expectFailure(t, ceiling, "failed", regexp.MustCompile(
		`^wait for 60 jobs on faults \(\d+ finished, 0 failed, \d started, \d+ queued, 0 scheduled\): python3 was killed: the worker's process tree reached \d+\.\d MB, above the 192\.0 MB ceiling, and was killed$`))
	if !strings.HasPrefix(property(ceiling, "verdict"), "aborted: the worker's process tree reached ") {
		t.Errorf("%q: verdict %q, want it aborted at the ceiling", ceiling.Name, property(ceiling, "verdict"))
	}
	r.expectFiles(ceiling, "csv", "log", "png")

	timeout := r.testcase("faults", "outlasts its spec's timeout")
	expectFailure(t, timeout, "timedout", regexp.MustCompile(`^A spec timeout occurred$`))
	if f := failure(timeout); f != nil && !strings.Contains(f.Description, "wait for 1 jobs on faults (0 finished, 0 failed, 1 started, 0 queued, 0 scheduled): spec timeout occurred") {
		t.Errorf("%q does not say what it was waiting for:\n%s", timeout.Name, f.Description)
	}
	r.expectFiles(timeout, "csv", "log")

	r.nothingLeft()
}

// TestWorkerKilledMidRun SIGKILLs the worker from outside, as the OOM
// killer would, while its spec waits for its jobs.
func TestWorkerKilledMidRun(t *testing.T) {
	r := newRun(t, "sigkill")
	startFaults(t, r, "sigkill")
	pid := r.announced("sigkill")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the worker %d: %v", pid, err)
	}
	if code := r.wait(); code == 0 {
		t.Fatalf("the run passed:\n%s", r.out())
	}

	c := r.testcase("faults", "is SIGKILLed mid-run")
	expectFailure(t, c, "failed", regexp.MustCompile(
		`^wait for 600 jobs on faults \(\d+ finished, 0 failed, \d started, \d+ queued, 0 scheduled\): python3 was killed by signal 9 \(killed\)$`))
	// The run's own account, once its CSV is written.
	died := regexp.MustCompile(`The worker died during the spec: python3 was killed by signal 9 \(killed\) \d+\.\d s into the recording, before the spec stopped it\. Its log is \S+\.log`)
	if f := failure(c); f != nil && !died.MatchString(f.Description) {
		t.Errorf("the failure does not tell how the worker died:\n%s", f.Description)
	}
	if !strings.HasPrefix(property(c, "verdict"), "aborted: python3 was killed by signal 9") {
		t.Errorf("verdict %q, want the recording aborted when the worker died", property(c, "verdict"))
	}
	r.expectFiles(c, "csv", "log", "png")
	csv, err := os.ReadFile(filepath.Join(r.reportDir(), property(c, "csv")))
	if err != nil || !strings.Contains(string(csv), ",worker-exited: python3 was killed by signal 9 (killed),") {
		t.Errorf("the CSV does not note the worker's exit (%v)", err)
	}
	r.nothingLeft()
}

// TestRedisStoppedMidSpec stops the run's Redis container while its spec
// waits for its jobs.
func TestRedisStoppedMidSpec(t *testing.T) {
	r := newRun(t, "redis-stop")
	startFaults(t, r, "redis-stop")
	r.announced("redis-stop")
	if n := r.stopContainers(); n != 1 {
		t.Fatalf("stopped %d containers of the run, want its one Redis", n)
	}
	if code := r.wait(); code == 0 {
		t.Fatalf("the run passed:\n%s", r.out())
	}

	// RQ dies of the lost connection, which ends the wait at once; what
	// the queue said last goes with it.
	c := r.testcase("faults", "loses its Redis mid-run")
	expectFailure(t, c, "failed", regexp.MustCompile(
		`^wait for 600 jobs on faults.*: python3 exited with status 1.*connect(ion)? refused`))
	r.expectFiles(c, "csv", "log")
	log, _ := os.ReadFile(filepath.Join(r.reportDir(), property(c, "log")))
	if !strings.Contains(string(log), "ConnectionError") {
		t.Errorf("the worker's log does not show it lost Redis:\n%s", log)
	}
	r.nothingLeft()
}
