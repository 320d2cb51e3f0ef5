package rq_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/proc"
	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker"
	"github.com/leakspec/leakspec/worker/rq"
)

func TestWorkerCommand(t *testing.T) {
	const url = "redis://127.0.0.1:6379/0"
	base := []string{"--serializer", "rq.serializers.JSONSerializer"}
	tests := []struct {
		name     string
		opts     rq.WorkerOptions
		inherit  string // the caller's PYTHONPATH
		wantArgv []string
		wantPath string
	}{{
		name:     "defaults",
		opts:     rq.WorkerOptions{RedisURL: url},
		wantArgv: slices.Concat([]string{"/usr/bin/python3", "-m", "rq.cli", "worker"}, base, []string{"--worker-class", "rq.worker.SimpleWorker", "default"}),
	}, {
		name: "everything set",
		opts: rq.WorkerOptions{
			Python: "/opt/py/bin/python", Dir: "/srv/jobs", RedisURL: url,
			Queues: []string{"high", "low"}, Forking: true, Scheduler: true,
			Extra: []string{"--max-jobs", "10"},
		},
		inherit: "/usr/local/lib/extra",
		wantArgv: slices.Concat([]string{"/opt/py/bin/python", "-m", "rq.cli", "worker"}, base,
			[]string{"--worker-class", "rq.worker.Worker", "--with-scheduler", "--max-jobs", "10", "high", "low"}),
		wantPath: "/srv/jobs:/usr/local/lib/extra",
	}, {
		name:     "job directory only",
		opts:     rq.WorkerOptions{RedisURL: url, Dir: "/srv/jobs"},
		wantArgv: slices.Concat([]string{"/usr/bin/python3", "-m", "rq.cli", "worker"}, base, []string{"--worker-class", "rq.worker.SimpleWorker", "default"}),
		wantPath: "/srv/jobs",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PYTHONPATH", tt.inherit)
			cmd := rq.WorkerCommand(tt.opts)
			if !slices.Equal(cmd.Argv, tt.wantArgv) {
				t.Errorf("Argv\n got: %q\nwant: %q", cmd.Argv, tt.wantArgv)
			}
			env := map[string]string{}
			for _, kv := range cmd.Env {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			if env["PYTHONPATH"] != tt.wantPath {
				t.Errorf("PYTHONPATH = %q, want %q", env["PYTHONPATH"], tt.wantPath)
			}
			if env["RQ_REDIS_URL"] != url || slices.Contains(cmd.Argv, url) {
				t.Errorf("RQ_REDIS_URL = %q and argv %q; want the URL in the environment alone, out of ps's sight", env["RQ_REDIS_URL"], cmd.Argv)
			}
			if env["PYTHONUNBUFFERED"] != "1" {
				t.Errorf("PYTHONUNBUFFERED = %q, want 1: RQ logs to stdout, which Python buffers in a pipe", env["PYTHONUNBUFFERED"])
			}
			if cmd.Ready == nil || !cmd.Ready.MatchString("02:11:38 *** Listening on default...") {
				t.Errorf("Ready = %v, want it to match RQ's listening line", cmd.Ready)
			}
		})
	}
}

func TestStartWorkerSaysWhatIsMissing(t *testing.T) {
	// A directory whose rq package shadows the real one and fails to import,
	// as RQ does for an interpreter that lacks it.
	noRQ := t.TempDir()
	if err := os.Mkdir(filepath.Join(noRQ, "rq"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(noRQ, "rq", "__init__.py"), []byte("raise ImportError('rq is hidden')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts rq.WorkerOptions
		want string
	}{
		{"no Redis URL", rq.WorkerOptions{}, "RedisURL is empty"},
		{"missing interpreter", rq.WorkerOptions{Python: "/nonexistent/python3"}, "cannot find the Python interpreter /nonexistent/python3"},
		{"interpreter without RQ", rq.WorkerOptions{Dir: noRQ}, "/usr/bin/python3 cannot import rq (ImportError: rq is hidden); install RQ"},
		{"missing job module", rq.WorkerOptions{Dir: testdata(t), Imports: []string{"jobs", "no_such_jobs"}},
			"cannot import the job module no_such_jobs (ModuleNotFoundError: No module named 'no_such_jobs'); Dir " + testdata(t) + " is first on its PYTHONPATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.RedisURL == "" && tt.name != "no Redis URL" {
				tt.opts.RedisURL = "redis://127.0.0.1:1/0" // never dialled: the check fails first
			}
			tt.opts.LogPath = filepath.Join(t.TempDir(), "worker.log")
			p, err := rq.StartWorker(context.Background(), tt.opts)
			if p != nil {
				t.Errorf("StartWorker started a worker (pid %d)", p.Pid())
				_ = p.Stop()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("StartWorker error = %v\nwant one containing %q", err, tt.want)
			}
		})
	}
}

// TestWorkerRunsEnqueuedJobs is the round trip: jobs enqueued from Go, run
// by the real worker, observed in Redis.
func TestWorkerRunsEnqueuedJobs(t *testing.T) {
	for _, forking := range []bool{false, true} {
		t.Run(fmt.Sprintf("forking=%v", forking), func(t *testing.T) {
			rdb := redistest.Client(t)
			ctx := context.Background()
			q := rq.NewQueue(rdb, "")
			jobs := make([]rq.Job, 50)
			for i := range jobs {
				jobs[i] = rq.Job{Func: "jobs.add", Args: []any{i, 1}}
			}
			ids, err := q.EnqueueMany(ctx, jobs)
			if err != nil {
				t.Fatalf("EnqueueMany: %v", err)
			}
			boom, err := q.Enqueue(ctx, rq.Job{Func: "jobs.boom"})
			if err != nil {
				t.Fatalf("Enqueue: %v", err)
			}

			p := startWorker(t, rq.WorkerOptions{RedisURL: redistest.URL(rdb), Forking: forking})
			progress, err := q.WaitFinished(untilExit(t, p), len(jobs)+1, 0)
			if err != nil {
				t.Fatalf("WaitFinished: %v", err)
			}
			want := rq.Progress{Finished: 50, Failed: 1}
			if progress != want {
				t.Errorf("Progress = %s, want %s", progress, want)
			}

			status, err := q.Status(ctx, boom)
			if err != nil {
				t.Fatalf("Status(boom): %v", err)
			}
			if status.State != rq.StateFailed || status.Exception() != "ValueError: boom" {
				t.Errorf("boom: state %q, exception %q; want failed with ValueError: boom", status.State, status.Exception())
			}
			if !strings.Contains(status.Traceback, "Traceback (most recent call last)") {
				t.Errorf("boom's traceback = %q, want the worker's whole traceback", status.Traceback)
			}
			status, err = q.Status(ctx, ids[7])
			if err != nil {
				t.Fatalf("Status(add): %v", err)
			}
			if status.State != rq.StateFinished || status.Traceback != "" || status.EndedAt.Before(status.StartedAt) || status.StartedAt.IsZero() {
				t.Errorf("add: %+v, want finished, started and ended, without a traceback", status)
			}
			stopWorker(t, p)
		})
	}
}

func TestWorkerRetriesAFailingJob(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	q := rq.NewQueue(rdb, "retries")
	runs := filepath.Join(t.TempDir(), "runs")
	id, err := q.Enqueue(ctx, rq.Job{Func: "jobs.fail_and_count", Args: []any{runs}, Retries: 2, RetryIntervals: []time.Duration{0}})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}

	p := startWorker(t, rq.WorkerOptions{RedisURL: redistest.URL(rdb), Queues: []string{"retries"}})
	if _, err := q.WaitFinished(untilExit(t, p), 1, 0); err != nil {
		t.Fatalf("WaitFinished: %v", err)
	}
	status, err := q.Status(ctx, id)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if status.State != rq.StateFailed || status.RetriesLeft != 0 || status.Exception() != "RuntimeError: failed on purpose" {
		t.Errorf("after the retries: state %q, %d retries left, exception %q; want failed, 0, RuntimeError: failed on purpose",
			status.State, status.RetriesLeft, status.Exception())
	}
	data, err := os.ReadFile(runs)
	if err != nil {
		t.Fatalf("the job never ran: %v", err)
	}
	if n := strings.Count(string(data), "run\n"); n != 3 {
		t.Errorf("the job ran %d times, want 3 (the first run and 2 retries)", n)
	}
	stopWorker(t, p)
}

func TestWorkerWithSchedulerRetriesAfterAnInterval(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	q := rq.NewQueue(rdb, "")
	runs := filepath.Join(t.TempDir(), "runs")
	id, err := q.Enqueue(ctx, rq.Job{Func: "jobs.fail_and_count", Args: []any{runs}, Retries: 1, RetryIntervals: []time.Duration{time.Second}})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}

	p := startWorker(t, rq.WorkerOptions{RedisURL: redistest.URL(rdb), Scheduler: true})
	if _, err := q.WaitFinished(untilExit(t, p), 1, 0); err != nil {
		t.Fatalf("WaitFinished: %v", err)
	}
	if status, err := q.Status(ctx, id); err != nil || status.State != rq.StateFailed {
		t.Errorf("Status = %+v, %v; want failed after its retry", status, err)
	}
	if data, _ := os.ReadFile(runs); strings.Count(string(data), "run\n") != 2 {
		t.Errorf("the job ran %d times, want 2 (the retry went through the scheduler)", strings.Count(string(data), "run\n"))
	}
	stopWorker(t, p)
}

// startWorker runs the real worker on the jobs in testdata and stops it,
// whatever happens, when the test ends.
func startWorker(t *testing.T, opts rq.WorkerOptions) *worker.Process {
	t.Helper()
	opts.Dir = testdata(t)
	opts.Imports = []string{"jobs"}
	opts.LogPath = filepath.Join(t.TempDir(), "worker.log")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := rq.StartWorker(ctx, opts)
	if p != nil {
		t.Cleanup(func() { _ = p.Stop() })
	}
	if err != nil {
		t.Fatalf("StartWorker: %v", err)
	}
	return p.Process
}

// stopWorker stops the worker and checks that nothing of it is left and
// that its log holds the lines of the jobs it ran: Stop kills RQ at once,
// without the warm shutdown that would wait for a job.
func stopWorker(t *testing.T, p *worker.Process) {
	t.Helper()
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done is still open after Stop returned")
	}
	// The killed worker's children are orphans reaped by init: they may
	// linger a moment as zombies, which hold nothing.
	if alive, err := proc.NewReader("").GroupMembers(p.Pid(), nil); err != nil || len(alive) > 0 {
		t.Errorf("processes %v of the worker's group %d are still alive after Stop (%v)", alive, p.Pid(), err)
	}
	log, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "Job OK (") && !strings.Contains(string(log), "Traceback") {
		t.Errorf("the worker's log has no line of a job's end:\n%s", log)
	}
}

// untilExit returns a context that ends when the worker exits, so that a
// worker that dies fails the wait at once and says so, or after a minute
// as a last resort.
func untilExit(t *testing.T, p *worker.Process) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancelTimeout)
	t.Cleanup(func() { cancel(nil) })
	go func() {
		select {
		case <-p.Done():
			cancel(fmt.Errorf("the worker exited (%v); last log lines:\n%s", p.Err(), strings.Join(p.Tail(), "\n")))
		case <-ctx.Done():
		}
	}()
	return ctx
}

func testdata(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStartWorkerThatDiesAtStartFailsFastWithItsLog(t *testing.T) {
	// Nothing listens on port 1 of loopback: RQ's worker cannot register
	// itself and exits at once. Start must report that exit straight away,
	// not when the readiness timeout or the context runs out, quoting RQ's
	// own last words.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := rq.StartWorker(ctx, rq.WorkerOptions{
		RedisURL: "redis://127.0.0.1:1/0",
		LogPath:  filepath.Join(t.TempDir(), "worker.log"),
	})
	if p != nil {
		t.Cleanup(func() { p.Stop() })
	}
	if err == nil {
		t.Fatal("StartWorker succeeded with no Redis to talk to")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("StartWorker waited for the deadline instead of noticing the exit: %v", err)
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.HasPrefix(msg, "start worker: python3 exited with status 1 before it was ready; last log lines") {
		t.Errorf("err = %s", msg)
	}
	if !strings.Contains(msg, "Connection refused") && !strings.Contains(msg, "ConnectionError") {
		t.Errorf("the error does not quote the worker's reason from its log:\n%s", msg)
	}
}

func TestWaitFinishedEndsWhenAWatchedWorkerDies(t *testing.T) {
	rdb := redistest.Client(t)
	p := startWorker(t, rq.WorkerOptions{RedisURL: redistest.URL(rdb)})
	q := rq.NewQueue(rdb, "").WatchWorkers(func() []*worker.Process { return []*worker.Process{p} })
	if _, err := q.Enqueue(context.Background(), rq.Job{Func: "jobs.add", Args: []any{1, 2}}); err != nil {
		t.Fatal(err)
	}
	// Ten jobs will never finish: only the worker's death ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	time.AfterFunc(500*time.Millisecond, func() { _ = syscall.Kill(p.Pid(), syscall.SIGKILL) })
	progress, err := q.WaitFinished(ctx, 10, 0)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("WaitFinished = %s, %v; want it to end with the worker", progress, err)
	}
	if !strings.HasPrefix(err.Error(), "wait for 10 jobs on default (") || !strings.HasSuffix(err.Error(), "): python3 was killed by signal 9 (killed)") {
		t.Errorf("err = %q, want how far the queue got and how the worker died", err)
	}
}

func TestWaitFinishedIgnoresAWorkerItStopped(t *testing.T) {
	rdb := redistest.Client(t)
	p := startWorker(t, rq.WorkerOptions{RedisURL: redistest.URL(rdb)})
	q := rq.NewQueue(rdb, "").WatchWorkers(func() []*worker.Process { return []*worker.Process{p} })
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	// A spec that stops a worker to start another goes on waiting for
	// the jobs.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := q.WaitFinished(ctx, 1, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the wait to last until its context ends", err)
	}
}

func TestStartWorkerSaysWhichRQItRuns(t *testing.T) {
	// A copy of RQ first on PYTHONPATH, as a checkout of the version
	// before a fix would be, reports the installed version: only the path
	// tells the two apart.
	out, err := exec.Command(rq.DefaultPython, "-c", "import importlib.util; print(importlib.util.find_spec('rq').submodule_search_locations[0])").Output()
	if err != nil {
		t.Skipf("%s cannot find rq: %v", rq.DefaultPython, err)
	}
	installed := strings.TrimSpace(string(out))
	checkout := t.TempDir()
	if err := os.CopyFS(filepath.Join(checkout, "rq"), os.DirFS(installed)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  worker.PythonEnv
		path string
	}{
		{"installed", worker.PythonEnv{}, installed},
		{"a copy first on PYTHONPATH", worker.PythonEnv{PythonPath: []string{checkout}}, filepath.Join(checkout, "rq")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rdb := redistest.Client(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			w, err := rq.StartWorker(ctx, rq.WorkerOptions{
				RedisURL: redistest.URL(rdb), Dir: testdata(t), Imports: []string{"jobs"},
				LogPath: filepath.Join(t.TempDir(), "worker.log"), PythonEnv: tt.env,
			})
			if w != nil {
				t.Cleanup(func() { _ = w.Stop() })
			}
			if err != nil {
				t.Fatalf("StartWorker: %v", err)
			}
			got := w.Installed()
			if got.System != "rq" || got.Path != tt.path || got.Version == "" || got.Version == "unknown" {
				t.Errorf("Installed() = %+v, want rq at some version from %s", got, tt.path)
			}
			if deps := got.Dependencies; len(deps) != 1 || deps[0].Name != "redis" || filepath.Base(deps[0].Path) != "redis" {
				t.Fatalf("Installed().Dependencies = %+v, want redis-py alone", deps)
			}
			if want := "rq " + got.Version + " from " + tt.path + ", with " + got.Dependencies[0].String(); got.String() != want {
				t.Errorf("String() = %q, want %q", got.String(), want)
			}
		})
	}
}
