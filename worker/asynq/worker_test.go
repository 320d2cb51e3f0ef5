package asynq

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker"
	"github.com/leakspec/leakspec/worker/goworker"
)

// program is fixtures/asynqworker, built once for the test binary by
// TestMain.
var program string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "asynq-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	program = filepath.Join(dir, "asynqworker")
	// The module's root is two levels up from this package.
	if err := goworker.Build(context.Background(), filepath.Join("..", ".."), "./fixtures/asynqworker", program); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// start runs fixtures/asynqworker on a fresh Redis and returns it with a
// client of that Redis.
func start(t *testing.T, args ...string) (*goworker.Worker, *redis.Client, error) {
	t.Helper()
	url := redistest.Start(t)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	w, err := StartWorker(context.Background(), WorkerOptions{
		Program:      program,
		Args:         args,
		RedisURL:     url,
		LogPath:      filepath.Join(t.TempDir(), "worker.log"),
		ReadyTimeout: 10 * time.Second,
	})
	if w != nil {
		t.Cleanup(func() { w.Stop() })
	}
	return w, rdb, err
}

func TestTasksRunAndWaitDoneCountsThem(t *testing.T) {
	w, rdb, err := start(t, "-scenario", "discard", "-size", "1MiB")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	queue := NewQueue(rdb, "")
	if p, err := queue.Progress(ctx); err != nil || p != (Progress{}) {
		t.Fatalf("the progress of a queue never used = %+v, %v; want zero and no error", p, err)
	}
	for range 3 {
		if _, err := queue.Enqueue(ctx, Task{Type: "discard"}); err != nil {
			t.Fatal(err)
		}
	}
	rec := worker.NewRecorder(t.Name())
	p, err := queue.WaitDone(ctx, Wait{Worker: w.Process, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Progress{Processed: 3}); p != want {
		t.Errorf("WaitDone = %+v, want %+v", p, want)
	}
	if rec.Snapshot().Count("processed") == 0 {
		t.Errorf("no processed event was recorded: %+v", rec.Snapshot().Events)
	}
}

func TestAFailingTaskIsRetriedThenArchived(t *testing.T) {
	w, rdb, err := start(t, "-scenario", "fail", "-size", "1MiB")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	queue := NewQueue(rdb, "")
	if _, err := queue.Enqueue(ctx, Task{Type: "fail", MaxRetry: 1}); err != nil {
		t.Fatal(err)
	}
	rec := worker.NewRecorder(t.Name())
	p, err := queue.WaitDone(ctx, Wait{Worker: w.Process, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Progress{Archived: 1, Processed: 2, Failed: 2}); p != want {
		t.Errorf("WaitDone = %+v, want %+v: one attempt and one retry, both failed", p, want)
	}
	if rec.Snapshot().Count("failed") == 0 {
		t.Errorf("no failed event was recorded: %+v", rec.Snapshot().Events)
	}
}

func TestStartWorkerSaysWhyTheWorkerStopped(t *testing.T) {
	w, _, err := start(t, "-scenario", "nope")
	if err == nil {
		t.Fatal("StartWorker accepted a worker that exits at once")
	}
	for _, want := range []string{"exited with status 2 before its asynq server registered", `-scenario "nope" is not a scenario`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	select {
	case <-w.Done():
	default:
		t.Error("the worker still runs after StartWorker failed")
	}
}

func TestStartWorkerSaysWhenTheServerNeverRegisters(t *testing.T) {
	silent := filepath.Join(t.TempDir(), "silent")
	if err := goworker.Build(t.Context(), filepath.Join("..", ".."), "./worker/asynq/testdata/silent", silent); err != nil {
		t.Fatal(err)
	}
	w, err := StartWorker(t.Context(), WorkerOptions{
		Program:      silent,
		RedisURL:     redistest.Start(t),
		LogPath:      filepath.Join(t.TempDir(), "worker.log"),
		ReadyTimeout: time.Second,
	})
	if w != nil {
		t.Cleanup(func() { w.Stop() })
	}
	want := regexp.MustCompile(`^start asynq worker: the asynq server of process \d+ did not register in Redis within 1s; ` +
		`the adapter reads asynq's Redis format from v0\.24 on \(v0\.24\.1 and v0\.26\.0 are tried\), and a worker on an older asynq runs through goworker\.Start instead \(docs/go-workers\.md\); its last lines:\n +leakspec endpoint: http://127\.0\.0\.1:\d+$`)
	if err == nil || !want.MatchString(err.Error()) {
		t.Errorf("StartWorker = %v, want an error matching %q", err, want)
	}
}

func TestWaitDoneEndsWhenTheWorkerDies(t *testing.T) {
	w, rdb, err := start(t, "-scenario", "hold", "-size", "1MiB", "-sleep", "1h")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	queue := NewQueue(rdb, "")
	if _, err := queue.Enqueue(ctx, Task{Type: "hold"}); err != nil {
		t.Fatal(err)
	}
	for {
		p, err := queue.Progress(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Active == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.Kill("the test killed it")
	_, err = queue.WaitDone(ctx, Wait{Worker: w.Process})
	if err == nil || !strings.Contains(err.Error(), "the test killed it") || ctx.Err() != nil {
		t.Errorf("WaitDone = %v, want it to end at once with how the worker ended", err)
	}
}
