package dramatiq

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/compactjson"
	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker"
)

// The tests in this file run a real Dramatiq worker. Debian packages no
// Dramatiq, so they skip unless the interpreter imports it, for instance
// with a checkout of its source on PYTHONPATH:
//
//	PYTHONPATH=/tmp/dramatiq-v2.0.0 go test ./worker/dramatiq

var record = flag.Bool("record", false, "record testdata/states from a real Dramatiq worker (needs Dramatiq on PYTHONPATH)")

// python is the interpreter of these tests: LEAKSPEC_PYTHON, as for the
// suites, or DefaultPython.
func python() string {
	if p := os.Getenv("LEAKSPEC_PYTHON"); p != "" {
		return p
	}
	return DefaultPython
}

// requireDramatiq skips the test, with the reason, when the interpreter
// cannot import Dramatiq.
func requireDramatiq(t *testing.T) Installation {
	t.Helper()
	inst, err := Probe(t.Context(), python(), "")
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// apps is the directory of the test actors (testdata/apps/test_actors.py).
func apps(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("testdata", "apps"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// events collects what a worker's OnEvent reports.
type events struct {
	mu   sync.Mutex
	list [][2]string
}

func (e *events) add(name, detail string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, [2]string{name, detail})
}

func (e *events) named(name string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var details []string
	for _, ev := range e.list {
		if ev[0] == name {
			details = append(details, ev[1])
		}
	}
	return details
}

// startTestWorker runs the test actors on rdb's server and stops the
// worker when the test ends.
func startTestWorker(t *testing.T, rdb *redis.Client, processes int, ev *events) *worker.Process {
	t.Helper()
	opts := WorkerOptions{
		Python:    python(),
		Dir:       apps(t),
		Module:    "test_actors",
		RedisURL:  redistest.URL(rdb),
		Processes: processes,
		LogPath:   filepath.Join(t.TempDir(), "worker.log"),
	}
	if ev != nil {
		opts.OnEvent = ev.add
	}
	p, err := StartWorker(t.Context(), opts)
	if p != nil {
		t.Cleanup(func() { _ = p.Stop() })
	}
	if err != nil {
		t.Fatal(err)
	}
	return p.Process
}

// waitStatus polls the message until ok accepts its status.
func waitStatus(t *testing.T, p *worker.Process, q *Queue, id string, ok func(MessageStatus) bool) MessageStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := q.Status(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(s) {
			return s
		}
		select {
		case <-p.Done():
			t.Fatalf("the worker ended (%v) while message %s was %s with %d retries", p.Err(), id, s.State, s.Retries)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s is still %s with %d retries", id, s.State, s.Retries)
		}
	}
}

func is(state State) func(MessageStatus) bool {
	return func(s MessageStatus) bool { return s.State == state }
}

// TestWorkerRunsRetriesAndDeadLetters is the round trip: messages enqueued
// from Go, run by the real worker with two processes, their progress read
// back from Redis and their retries from its log.
func TestWorkerRunsRetriesAndDeadLetters(t *testing.T) {
	requireDramatiq(t)
	rdb := redistest.Client(t)
	ctx := context.Background()
	q := NewQueue(rdb, "")
	var msgs []Message
	for i := range 20 {
		msgs = append(msgs, Message{Actor: "add", Args: []any{i, 1}})
	}
	if _, err := q.EnqueueMany(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	failing, err := q.Enqueue(ctx, Message{Actor: "fail", Args: []any{1}, Options: Options{
		MaxRetries: new(2), MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	}})
	if err != nil {
		t.Fatal(err)
	}

	var ev events
	p := startTestWorker(t, rdb, 2, &ev)
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	progress, err := q.WaitFinished(waitCtx, len(msgs)+1, 0)
	if err != nil {
		t.Fatalf("WaitFinished: %v", err)
	}
	if want := (Progress{Done: 20, Dead: 1}); progress != want {
		t.Errorf("Progress = %s, want %s", progress, want)
	}
	s := waitStatus(t, p, q, failing, is(StateDead))
	if s.Retries != 2 {
		t.Errorf("the dead letter has %d retries, want 2: it was stored by its last retry", s.Retries)
	}
	// The log line of the dead letter follows the ack that WaitFinished saw.
	deadline := time.Now().Add(5 * time.Second)
	for len(ev.named(EventDead)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	retries := ev.named(EventRetry)
	if len(retries) != 2 || !strings.HasPrefix(retries[0], "message "+failing+", next attempt in ") {
		t.Errorf("retry events = %q, want two for message %s", retries, failing)
	}
	if dead := ev.named(EventDead); len(dead) != 1 || dead[0] != "message "+failing+" ran out of retries" {
		t.Errorf("dead events = %q, want one for message %s", dead, failing)
	}
}

// TestRecordStates records testdata/states, the databases that
// TestProgressOnRecordedStates and TestStatusOnRecordedStates decode.
func TestRecordStates(t *testing.T) {
	if !*record {
		t.Skip("run with -record, and Dramatiq on PYTHONPATH, to record testdata/states again")
	}
	inst := requireDramatiq(t)
	ctx := context.Background()

	t.Run("retrying", func(t *testing.T) {
		rdb := redistest.Client(t)
		p := startTestWorker(t, rdb, 1, nil)
		q := NewQueue(rdb, "")
		// Backoffs of 1-2 s, then 2-4 s, leave time to dump the state
		// between the second retry and the third attempt.
		id, err := q.Enqueue(ctx, Message{Actor: "fail", Args: []any{1}, Options: Options{
			MaxRetries: new(5), MinBackoff: time.Second, MaxBackoff: time.Minute,
		}})
		if err != nil {
			t.Fatal(err)
		}
		waitStatus(t, p, q, id, func(s MessageStatus) bool { return s.State == StateDelayed && s.Retries == 2 })
		saveState(t, rdb, "retrying", recordedState{
			Note:     "A message of fail(1) with max_retries 5 and backoffs from 1 s, after its second retry.",
			Dramatiq: inst.Version, Enqueued: 1, Messages: map[string]string{"retrying": id},
		})
	})

	t.Run("busy", func(t *testing.T) {
		rdb := redistest.Client(t)
		p := startTestWorker(t, rdb, 1, nil)
		q := NewQueue(rdb, "")
		roles := map[string]string{}
		enqueue := func(role string, m Message) {
			id, err := q.Enqueue(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			roles[role] = id
		}
		enqueue("done", Message{Actor: "add", Args: []any{1, 2}})
		enqueue("dead", Message{Actor: "fail", Args: []any{1}, Options: Options{MaxRetries: new(0)}})
		waitStatus(t, p, q, roles["done"], is(StateDone))
		waitStatus(t, p, q, roles["dead"], is(StateDead))
		enqueue("running", Message{Actor: "sleep", Args: []any{60}})
		waitStatus(t, p, q, roles["running"], is(StateRunning))
		enqueue("prefetched", Message{Actor: "sleep", Args: []any{60}})
		waitStatus(t, p, q, roles["prefetched"], is(StateRunning))
		enqueue("queued", Message{Actor: "sleep", Args: []any{60}})
		enqueue("queued too", Message{Actor: "sleep", Args: []any{60}})
		saveState(t, rdb, "busy", recordedState{
			Note:     "One thread: add(1, 2) done, fail(1) with max_retries 0 dead, then four sleep(60): one running, one prefetched, two queued.",
			Dramatiq: inst.Version, Enqueued: 6, Messages: roles,
		})
		// The sleeping actor would hold up a graceful stop for a minute.
		p.Kill("the state is recorded")
	})
}

// tracebackField matches the traceback the Retries middleware stores.
var tracebackField = regexp.MustCompile(`"traceback":("(?:[^"\\]|\\.)*")`)

// saveState dumps rdb into testdata/states/<name>.json. Tracebacks keep
// only their last line: their frames quote Dramatiq's source, which this
// repository does not copy.
func saveState(t *testing.T, rdb *redis.Client, name string, s recordedState) {
	t.Helper()
	s.Redis = dump(t, rdb)
	for key, e := range s.Redis {
		if e.Type != "hash" {
			continue
		}
		var fields map[string]string
		if err := json.Unmarshal(e.Value, &fields); err != nil {
			t.Fatal(err)
		}
		for field, value := range fields {
			fields[field] = tracebackField.ReplaceAllStringFunc(value, func(m string) string {
				var tb string
				if err := json.Unmarshal([]byte(tracebackField.FindStringSubmatch(m)[1]), &tb); err != nil {
					t.Fatal(err)
				}
				short, _ := compactjson.Marshal("Traceback (most recent call last):\n  [frames left out]\n" + lastLine(tb) + "\n")
				return `"traceback":` + string(short)
			})
		}
		raw, err := compactjson.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		s.Redis[key] = entry{Type: e.Type, Value: raw}
	}
	writeJSON(t, filepath.Join("testdata", "states", name+".json"), s)
}
