package celery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/proc"
	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker"
)

func TestWorkerCommand(t *testing.T) {
	const url = "redis://127.0.0.1:6379/0"
	features := []string{"--without-mingle", "--without-gossip", "--without-heartbeat"}
	tests := []struct {
		name     string
		opts     WorkerOptions
		inherit  string // the caller's PYTHONPATH
		wantArgv []string
		wantPath string
	}{{
		name: "defaults",
		opts: WorkerOptions{App: "tasks", RedisURL: url},
		wantArgv: slices.Concat([]string{"/usr/bin/python3", "-m", "celery", "-A", "tasks", "worker",
			"--pool", "solo", "--loglevel", "INFO", "--queues", "celery"}, features),
	}, {
		name: "prefork and everything set",
		opts: WorkerOptions{
			Python: "/opt/py/bin/python", Dir: "/srv/app", App: "proj:app", RedisURL: url,
			Pool: Prefork, Concurrency: 3, Queues: []string{"high", "low"},
			MaxTasksPerChild: 10, MaxMemoryPerChild: 200*1024 + 1, Extra: []string{"-O", "fair"},
		},
		inherit: "/usr/local/lib/extra",
		wantArgv: slices.Concat([]string{"/opt/py/bin/python", "-m", "celery", "-A", "proj:app", "worker",
			"--pool", "prefork", "--concurrency", "3", "--loglevel", "INFO", "--queues", "high,low"}, features,
			[]string{"--max-tasks-per-child", "10", "--max-memory-per-child", "201", "-O", "fair"}),
		wantPath: "/srv/app:/usr/local/lib/extra",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PYTHONPATH", tt.inherit)
			cmd := WorkerCommand(tt.opts)
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
			if env["CELERY_BROKER_URL"] != url {
				t.Errorf("CELERY_BROKER_URL = %q, want %q", env["CELERY_BROKER_URL"], url)
			}
			if env["PYTHONUNBUFFERED"] != "1" {
				t.Errorf("PYTHONUNBUFFERED = %q, want 1: the log lines must arrive as they are written", env["PYTHONUNBUFFERED"])
			}
			if cmd.Ready == nil || !cmd.Ready.MatchString("[2026-11-27 02:28:29,612: INFO/MainProcess] celery@vm ready.") {
				t.Errorf("Ready = %v, want it to match Celery's ready line", cmd.Ready)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		opts WorkerOptions
		want []string
	}{
		{"none by default", WorkerOptions{Pool: Prefork, Concurrency: 2}, nil},
		{"tasks per child", WorkerOptions{MaxTasksPerChild: 50}, []string{"--max-tasks-per-child 50"}},
		{"memory per child", WorkerOptions{MaxMemoryPerChild: 100 * 1024}, []string{"--max-memory-per-child 100"}},
		{"in Extra", WorkerOptions{Extra: []string{"--max-tasks-per-child=5", "--max-memory-per-child", "9000"}},
			[]string{"--max-tasks-per-child 5", "--max-memory-per-child 9000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Warnings(tt.opts)
			if len(got) != len(tt.want) {
				t.Fatalf("Warnings = %q, want %d", got, len(tt.want))
			}
			for i, w := range got {
				if !strings.Contains(w, "The worker runs with "+tt.want[i]+", which ") || !strings.Contains(w, "a leak can pass unseen") {
					t.Errorf("warning %d = %q, want it to name %q and say it hides leaks", i, w, tt.want[i])
				}
			}
		})
	}
}

func TestStartWorkerSaysWhatIsWrong(t *testing.T) {
	tests := []struct {
		name string
		opts WorkerOptions
		want string
	}{
		{"no app", WorkerOptions{RedisURL: "redis://127.0.0.1:1/0"}, "App is empty"},
		{"no Redis URL", WorkerOptions{App: "tasks"}, "RedisURL is empty"},
		{"prefork without concurrency", WorkerOptions{App: "tasks", RedisURL: "redis://127.0.0.1:1/0", Pool: Prefork}, "needs a Concurrency above zero"},
		{"unknown pool", WorkerOptions{App: "tasks", RedisURL: "redis://127.0.0.1:1/0", Pool: "gevent"}, `pool "gevent" is not supported`},
		{"missing interpreter", WorkerOptions{App: "tasks", RedisURL: "redis://127.0.0.1:1/0", Python: "/nonexistent/python3"},
			"start celery worker: start worker: /nonexistent/python3: no such file or directory"},
		{"missing app module", WorkerOptions{App: "no_such_tasks", RedisURL: "redis://127.0.0.1:1/0"},
			"The module no_such_tasks was not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir = testdata(t)
			tt.opts.LogPath = filepath.Join(t.TempDir(), "worker.log")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			w, err := StartWorker(ctx, tt.opts)
			if w != nil {
				_ = w.Stop()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("StartWorker error = %v\nwant one containing %q", err, tt.want)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("StartWorker waited for its deadline instead of noticing the failure: %v", err)
			}
		})
	}
}

// TestWorkerRunsTasksFromGo is the round trip: tasks enqueued from Go, run
// by the real worker on each pool, their outcomes read from its log.
func TestWorkerRunsTasksFromGo(t *testing.T) {
	for _, opts := range []WorkerOptions{{Pool: Solo}, {Pool: Prefork, Concurrency: 2}} {
		t.Run(string(opts.Pool), func(t *testing.T) {
			rdb := redistest.Client(t)
			ctx := context.Background()
			q := NewQueue(rdb, "")
			tasks := make([]Task, 20)
			for i := range tasks {
				tasks[i] = Task{Name: "tasks.add", Args: []any{i, 1}}
			}
			tasks = append(tasks,
				Task{Name: "tasks.boom"},
				Task{Name: "tasks.echo", Args: []any{"it's", 1.5, nil, []any{true}}, Kwargs: map[string]any{"k": map[string]any{"é": 1}}},
				Task{Name: "tasks.add", Args: []any{40, 2}, Countdown: 300 * time.Millisecond},
			)
			if _, err := q.EnqueueMany(ctx, tasks); err != nil {
				t.Fatalf("EnqueueMany: %v", err)
			}

			opts.RedisURL = redistest.URL(rdb)
			w := startWorker(t, opts)
			if got := w.Installed(); got.System != "celery" || filepath.Base(got.Path) != "celery" || got.Version == "" || got.Version == "unknown" {
				t.Errorf("Installed() = %+v, want celery at some version from a directory named celery", got)
			}
			var deps []string
			for _, d := range w.Installed().Dependencies {
				deps = append(deps, d.Name)
			}
			if want := []string{"kombu", "billiard", "redis"}; !slices.Equal(deps, want) {
				t.Errorf("Installed().Dependencies name %q, want %q", deps, want)
			}
			events := &eventLog{}
			w.Tasks.RecordTo(events)
			counts, err := w.Tasks.WaitDone(untilExit(t, w), len(tasks))
			if err != nil {
				t.Fatalf("WaitDone: %v", err)
			}
			if want := (Counts{Received: 23, Succeeded: 22, Failed: 1}); counts != want {
				t.Errorf("Counts = %s, want %s", counts, want)
			}
			if n := events.count(EventFailed); n != 1 {
				t.Errorf("%d failed events, want 1: %q", n, events.all())
			}
			// The worker acknowledges a message around the time it logs the
			// task's end, not necessarily before.
			if p, err := waitProgress(ctx, q, Progress{}); err != nil {
				t.Errorf("Progress = %s, %v; want every message acknowledged", p, err)
			}
			stopWorker(t, w)
			// Read once the worker is stopped: a traceback reaches the log
			// after the line that Monitor counted.
			log := readLog(t, w)
			for _, line := range []string{
				"] succeeded in ", ": 42", // the countdown task ran
				"Task tasks.boom[", "raised unexpected: ", "ValueError: boom",
				`[['it\'s', 1.5, None, [True]], {'k': {'é': 1}}]`, // the arguments as Python saw them
			} {
				if !strings.Contains(log, line) {
					t.Errorf("the worker's log lacks %q:\n%s", line, log)
				}
			}
		})
	}
}

// TestWaitEndsWhenTheWorkerDies checks that a worker that dies ends the
// wait for its tasks at once, with how it ended, rather than leave the wait
// to its context.
func TestWaitEndsWhenTheWorkerDies(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	if _, err := NewQueue(rdb, "").EnqueueMany(ctx, []Task{{Name: "tasks.add", Args: []any{1, 1}}, {Name: "tasks.exit_worker", Args: []any{3}}}); err != nil {
		t.Fatalf("EnqueueMany: %v", err)
	}
	w := startWorker(t, WorkerOptions{Pool: Solo, RedisURL: redistest.URL(rdb)})
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	counts, err := w.Tasks.WaitDone(wait, 10)
	if err == nil || wait.Err() != nil || !strings.Contains(err.Error(), "exited with status 3") {
		t.Fatalf("WaitDone = %s, %v; want it to end before its context, saying the worker exited with status 3", counts, err)
	}
	if counts.Succeeded != 1 {
		t.Errorf("Counts = %s, want the task before the crash counted", counts)
	}
}

// TestWorkerRetries checks that each retry of a task is counted and becomes
// an event that names the task, its id, the countdown and the exception.
func TestWorkerRetries(t *testing.T) {
	for _, opts := range []WorkerOptions{{Pool: Solo}, {Pool: Prefork, Concurrency: 2}} {
		t.Run(string(opts.Pool), func(t *testing.T) {
			rdb := redistest.Client(t)
			ctx := context.Background()
			q := NewQueue(rdb, "retries")
			opts.RedisURL, opts.Queues = redistest.URL(rdb), []string{"retries"}
			w := startWorker(t, opts)
			events := &eventLog{}
			w.Tasks.RecordTo(events)
			// Long enough a countdown to see the retry waiting in Redis.
			id, err := q.Enqueue(ctx, Task{Name: "tasks.retry_twice"})
			if err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			if _, err := w.Tasks.WaitFor(untilExit(t, w), "the first retry", func(c Counts) bool { return c.Retried >= 1 }); err != nil {
				t.Fatal(err)
			}
			counts, err := w.Tasks.WaitDone(untilExit(t, w), 1)
			if err != nil {
				t.Fatalf("WaitDone: %v", err)
			}
			if want := (Counts{Received: 3, Failed: 1, Retried: 2}); counts != want {
				t.Errorf("Counts = %s, want %s (two retries, then the failure)", counts, want)
			}
			retries := events.details(EventRetry)
			if len(retries) != 2 || !strings.Contains(retries[0], "tasks.retry_twice["+id+"] retry: Retry in 0.2s: RuntimeError('failed on purpose')") {
				t.Errorf("retry events = %q, want two naming the task, its id and the countdown", retries)
			}
			stopWorker(t, w)
		})
	}
}

// TestProgressSeesARetryWaiting reads, in Redis, a retry held until its
// ETA: the worker has taken it, so it is unacked, and it is a retry.
func TestProgressSeesARetryWaiting(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	q := NewQueue(rdb, "")
	w := startWorker(t, WorkerOptions{RedisURL: redistest.URL(rdb)})
	if _, err := q.Enqueue(ctx, Task{Name: "tasks.add", Args: []any{1, 2}, Retries: 1, Countdown: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, Task{Name: "tasks.add", Args: []any{1, 2}, Countdown: time.Hour}); err != nil {
		t.Fatal(err)
	}
	want := Progress{Unacked: 2, Retrying: 1}
	if p, err := waitProgress(ctx, q, want); err != nil {
		t.Errorf("Progress = %s, %v; want %s: both held until their ETA, one a retry", p, err, want)
	}
	if other, err := NewQueue(rdb, "other").Progress(ctx); err != nil || other != (Progress{}) {
		t.Errorf("another queue's Progress = %s, %v; want nothing of this queue's", other, err)
	}
	stopWorker(t, w)
}

// waitProgress polls the queue's Progress for up to 10 s until it is want,
// and returns the last one read.
func waitProgress(ctx context.Context, q *Queue, want Progress) (Progress, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := q.Progress(ctx)
		if err != nil || p == want {
			return p, err
		}
		if time.Now().After(deadline) {
			return p, errors.New("it did not change in 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventLog is an EventRecorder for tests.
type eventLog struct {
	mu     sync.Mutex
	events [][2]string
}

func (l *eventLog) Event(name, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, [2]string{name, detail})
}

func (l *eventLog) all() [][2]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

func (l *eventLog) details(name string) []string {
	var out []string
	for _, e := range l.all() {
		if e[0] == name {
			out = append(out, e[1])
		}
	}
	return out
}

func (l *eventLog) count(name string) int { return len(l.details(name)) }

// startWorker runs the real worker on the app in testdata and stops it,
// whatever happens, when the test ends.
func startWorker(t *testing.T, opts WorkerOptions) *Worker {
	t.Helper()
	opts.Dir, opts.App = testdata(t), "tasks"
	opts.LogPath = filepath.Join(t.TempDir(), "worker.log")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := StartWorker(ctx, opts)
	if w != nil {
		t.Cleanup(func() { _ = w.Stop() })
	}
	if err != nil {
		t.Fatalf("StartWorker: %v", err)
	}
	return w
}

// stopWorker stops the worker and checks that nothing of its group is left.
func stopWorker(t *testing.T, w *Worker) {
	t.Helper()
	if err := w.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	// The prefork children are orphans once the leader is gone: init reaps
	// them, so they may linger a moment as zombies, which hold nothing.
	if alive, err := proc.NewReader("").GroupMembers(w.Pid(), nil); err != nil || len(alive) > 0 {
		t.Errorf("processes %v of the worker's group %d are still alive after Stop (%v)", alive, w.Pid(), err)
	}
}

// untilExit returns a context that ends when the worker exits, so that a
// worker that dies fails a wait at once, or after a minute as a last resort.
func untilExit(t *testing.T, w *Worker) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancelTimeout)
	t.Cleanup(func() { cancel(nil) })
	go func() {
		select {
		case <-w.Done():
			cancel(fmt.Errorf("the worker exited (%v); last log lines:\n%s", w.Err(), strings.Join(w.Tail(), "\n")))
		case <-ctx.Done():
		}
	}()
	return ctx
}

func readLog(t *testing.T, w *Worker) string {
	t.Helper()
	data, err := os.ReadFile(w.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func testdata(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var _ EventRecorder = (*worker.Recorder)(nil)
