package dramatiq

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
)

// recordedState is a Redis database as a real Dramatiq worker left it,
// recorded by TestRecordStates: what the progress decoding is checked on.
type recordedState struct {
	Note string `json:"note"`
	// Dramatiq is the version of the worker that made the state.
	Dramatiq string `json:"dramatiq"`
	// Enqueued is how many messages the recording's Queue enqueued.
	Enqueued int64 `json:"enqueued"`
	// Messages names the message ids by the role each message plays.
	Messages map[string]string `json:"messages"`
	Redis    map[string]entry  `json:"redis"`
}

// loadState loads testdata/states/<name>.json into a fresh Redis and
// returns the state and a Queue that enqueued its messages.
func loadState(t *testing.T, name string) (recordedState, *Queue) {
	t.Helper()
	var s recordedState
	readJSON(t, filepath.Join("testdata", "states", name+".json"), &s)
	rdb := redistest.Client(t)
	load(t, rdb, s.Redis)
	q := NewQueue(rdb, "")
	q.enqueued.Store(s.Enqueued)
	return s, q
}

// TestProgressOnRecordedStates decodes the databases a real worker left.
// The expected counts follow from the scenario TestRecordStates drives,
// not from the files.
func TestProgressOnRecordedStates(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		state string
		want  Progress
	}{
		// One message that failed twice and waits in the delay queue.
		{"retrying", Progress{Delayed: 1}},
		// One message done, one dead, one sleeping, one prefetched behind
		// it (a thread prefetches two) and two still in the list.
		{"busy", Progress{Queued: 2, Running: 2, Dead: 1, Done: 1}},
	} {
		t.Run(tt.state, func(t *testing.T) {
			_, q := loadState(t, tt.state)
			got, err := q.Progress(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Progress = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestStatusOnRecordedStates(t *testing.T) {
	ctx := context.Background()
	heldData := "test_actors.HeldData: failed while holding 1048576 bytes"
	for _, tt := range []struct {
		state, role string
		want        State
		retries     int
		traceback   string // the traceback's last line
	}{
		{"retrying", "retrying", StateDelayed, 2, heldData},
		{"busy", "done", StateDone, 0, ""},
		// The broker dead-letters the message as it was stored, before the
		// Retries middleware counted the failure.
		{"busy", "dead", StateDead, 0, ""},
		{"busy", "running", StateRunning, 0, ""},
		{"busy", "prefetched", StateRunning, 0, ""},
		{"busy", "queued", StateQueued, 0, ""},
		{"busy", "queued too", StateQueued, 0, ""},
	} {
		t.Run(tt.state+"/"+tt.role, func(t *testing.T) {
			s, q := loadState(t, tt.state)
			id := s.Messages[tt.role]
			if id == "" {
				t.Fatalf("the %s state names no %q message", tt.state, tt.role)
			}
			got, err := q.Status(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got.MessageID != id || got.State != tt.want || got.Retries != tt.retries {
				t.Errorf("Status = %+v, want %s with %d retries", got, tt.want, tt.retries)
			}
			if last := lastLine(got.Traceback + "\n"); got.Traceback != "" && last != tt.traceback || got.Traceback == "" && tt.traceback != "" {
				t.Errorf("Traceback ends %q, want %q", last, tt.traceback)
			}
			if (got.State == StateDone) != (got.RedisID == "") {
				t.Errorf("RedisID = %q for a message that is %s", got.RedisID, got.State)
			}
			if tt.want == StateDelayed && !got.ETA.After(time.UnixMilli(1_600_000_000_000)) {
				t.Errorf("ETA = %v, want the time the retry is due", got.ETA)
			}
			if tt.want != StateDelayed && !got.ETA.IsZero() {
				t.Errorf("ETA = %v for a message that is %s", got.ETA, got.State)
			}
		})
	}
}

// TestStatusPicksTheNewerCopy covers the moments a retry holds two copies
// of a message, which a recording can hardly catch.
func TestStatusPicksTheNewerCopy(t *testing.T) {
	c := func(where string, retries int, held bool) copyOf {
		var m storedMessage
		m.MessageID, m.Options.Retries = "m", retries
		return copyOf{where: where, redisID: where + "-rid", held: held, msg: m}
	}
	tests := []struct {
		name    string
		copies  []copyOf
		want    State
		retries int
	}{
		{"none", nil, StateDone, 0},
		// The Retries middleware enqueues the delayed copy, with one more
		// retry, before the failed copy is acked.
		{"failed copy not acked yet", []copyOf{c("queue", 1, true), c("delay", 2, true)}, StateDelayed, 2},
		{"same, found the other way round", []copyOf{c("delay", 2, true), c("queue", 1, true)}, StateDelayed, 2},
		// The delay consumer enqueues the due copy before it acks its own.
		{"due copy not acked yet", []copyOf{c("delay", 2, true), c("queue", 2, false)}, StateQueued, 2},
		{"same, already fetched", []copyOf{c("queue", 2, true), c("delay", 2, true)}, StateRunning, 2},
		{"dead letters are final", []copyOf{c("queue", 3, false), c("dead", 2, false)}, StateDead, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statusOf("m", tt.copies)
			if got.State != tt.want || got.Retries != tt.retries {
				t.Errorf("statusOf = %+v, want %s with %d retries", got, tt.want, tt.retries)
			}
		})
	}
}

// TestStatusIgnoresTheIDInsideArguments: the server-side search matches
// the text "message_id":"<id>" anywhere in a message.
func TestStatusIgnoresTheIDInsideArguments(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	q := NewQueue(rdb, "")
	if _, err := q.Enqueue(ctx, Message{ID: "real", Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, Message{ID: "other", Actor: "a", Args: []any{`{"message_id":"ghost"}`}, Kwargs: map[string]any{"x": map[string]any{"message_id": "ghost"}}}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]State{"real": StateQueued, "ghost": StateDone} {
		got, err := q.Status(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != want {
			t.Errorf("Status(%q) = %s, want %s", id, got.State, want)
		}
	}
}
