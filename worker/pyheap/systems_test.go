package pyheap_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker"
	"github.com/leakspec/leakspec/worker/celery"
	"github.com/leakspec/leakspec/worker/dramatiq"
	"github.com/leakspec/leakspec/worker/pyheap"
	"github.com/leakspec/leakspec/worker/rq"
)

// A system starts a real worker of heap_jobs with the probe and returns a
// function that runs n calls of one of heap_jobs' functions and waits for
// them.
type system struct {
	name string
	// processes is how many Python processes of the worker have a probe.
	processes int
	start     func(t *testing.T, probe *pyheap.Probe) (run func(fn string, n, mb int))
}

var systems = []system{
	{"rq", 1, startRQ},
	{"celery-prefork", 3, startCelery}, // the main process and two children
	{"dramatiq", 3, startDramatiq},     // the main process and two workers
}

func startProcess(t *testing.T, probe *pyheap.Probe, cmd worker.Command, processes int) *worker.Process {
	t.Helper()
	p, err := worker.Start(t.Context(), probe.Apply(cmd))
	if p != nil {
		t.Cleanup(func() { _ = p.Stop() })
	}
	if err != nil {
		t.Fatal(err)
	}
	waitProbes(t, probe, processes)
	return p
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startRQ(t *testing.T, probe *pyheap.Probe) func(string, int, int) {
	rdb := redistest.Client(t)
	startProcess(t, probe, rq.WorkerCommand(rq.WorkerOptions{
		Python: python(), Dir: testdata(t), RedisURL: redistest.URL(rdb),
		LogPath: filepath.Join(t.TempDir(), "worker.log"),
	}), 1)
	q := rq.NewQueue(rdb, rq.DefaultQueue)
	done := 0
	return func(fn string, n, mb int) {
		t.Helper()
		jobs := make([]rq.Job, n)
		for i := range jobs {
			jobs[i] = rq.Job{Func: "heap_jobs." + fn, Args: []any{mb}}
		}
		if _, err := q.EnqueueMany(t.Context(), jobs); err != nil {
			t.Fatal(err)
		}
		done += n
		progress, err := q.WaitFinished(waitCtx(t), done, 0)
		if err != nil {
			t.Fatal(err)
		}
		if progress.Failed > 0 {
			t.Fatalf("%d jobs failed", progress.Failed)
		}
	}
}

func startCelery(t *testing.T, probe *pyheap.Probe) func(string, int, int) {
	rdb := redistest.Client(t)
	cmd := celery.WorkerCommand(celery.WorkerOptions{
		Python: python(), Dir: testdata(t), App: "heap_tasks", RedisURL: redistest.URL(rdb),
		Pool: celery.Prefork, Concurrency: 2,
		LogPath: filepath.Join(t.TempDir(), "worker.log"),
	})
	monitor := celery.NewMonitor()
	cmd.OnLine = monitor.Line
	startProcess(t, probe, cmd, 3)
	q := celery.NewQueue(rdb, celery.DefaultQueue)
	done := 0
	return func(fn string, n, mb int) {
		t.Helper()
		tasks := make([]celery.Task, n)
		for i := range tasks {
			tasks[i] = celery.Task{Name: "heap_tasks." + fn, Args: []any{mb}}
		}
		if _, err := q.EnqueueMany(t.Context(), tasks); err != nil {
			t.Fatal(err)
		}
		done += n
		counts, err := monitor.WaitDone(waitCtx(t), done)
		if err != nil {
			t.Fatal(err)
		}
		if counts.Failed > 0 {
			t.Fatalf("%d tasks failed", counts.Failed)
		}
	}
}

// dramatiqPath is the checkout of Dramatiq the tests run, which Debian
// does not package; the Dramatiq tests skip without it.
func dramatiqPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PYTHONPATH")
	if path == "" {
		path = "/tmp/dramatiq-main"
	}
	check := exec.CommandContext(t.Context(), python(), "-c", "import dramatiq")
	check.Env = append(os.Environ(), "PYTHONPATH="+path)
	if out, err := check.CombinedOutput(); err != nil {
		t.Skipf("%s cannot import dramatiq with PYTHONPATH=%s (%v: %s); set PYTHONPATH to a checkout of Dramatiq", python(), path, err, out)
	}
	return path
}

func startDramatiq(t *testing.T, probe *pyheap.Probe) func(string, int, int) {
	t.Setenv("PYTHONPATH", dramatiqPath(t))
	rdb := redistest.Client(t)
	startProcess(t, probe, dramatiq.WorkerCommand(dramatiq.WorkerOptions{
		Python: python(), Dir: testdata(t), Module: "heap_actors", RedisURL: redistest.URL(rdb),
		Processes: 2, Threads: 1,
		LogPath: filepath.Join(t.TempDir(), "worker.log"),
	}), 3)
	q := dramatiq.NewQueue(rdb, "default")
	done := 0
	return func(fn string, n, mb int) {
		t.Helper()
		msgs := make([]dramatiq.Message, n)
		for i := range msgs {
			msgs[i] = dramatiq.Message{Actor: fn, Args: []any{mb}}
		}
		if _, err := q.EnqueueMany(t.Context(), msgs); err != nil {
			t.Fatal(err)
		}
		done += n
		progress, err := q.WaitFinished(waitCtx(t), done, 0)
		if err != nil {
			t.Fatal(err)
		}
		if progress.Dead > 0 {
			t.Fatalf("%d messages died", progress.Dead)
		}
	}
}
