package dramatiq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/batch"
	"github.com/leakspec/leakspec/internal/redisfault"
	"github.com/leakspec/leakspec/internal/redistest"
)

// The fixed clock of the golden tests; message_timestamp is its Unix time
// in milliseconds, 1709964302004.
var goldenTime = time.Date(2024, 3, 9, 7, 5, 2, 4_900_000, time.FixedZone("CET", 3600))

// pinned returns q with the golden clock and Redis ids counted from 1.
func pinned(q *Queue) *Queue {
	n := 0
	q.now = func() time.Time { return goldenTime }
	q.newID = func() string {
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
	return q
}

func TestEnqueueWritesDramatiqsFormat(t *testing.T) {
	tests := []struct {
		name  string
		queue string
		msgs  []Message
	}{{
		name: "defaults",
		msgs: []Message{{ID: "m-1", Actor: "add", Args: []any{1, 2}}},
	}, {
		name:  "every option",
		queue: "reports",
		msgs: []Message{{
			ID:     "m-2",
			Actor:  "render",
			Args:   []any{"a<b>&c", 1.5, nil, true, []any{}, map[string]any{}, `say "hi"` + "\n"},
			Kwargs: map[string]any{"size": 64, "é": "€😀"},
			Options: Options{
				MaxRetries: new(1_000_000),
				MinBackoff: 10 * time.Millisecond,
				MaxBackoff: 100 * time.Millisecond,
				TimeLimit:  2 * time.Second,
				MaxAge:     time.Hour,
			},
		}},
	}, {
		name: "no retries",
		msgs: []Message{{ID: "m-3", Actor: "fail", Args: []any{128}, Options: Options{MaxRetries: new(0)}}},
	}, {
		name: "many in order",
		msgs: []Message{
			{ID: "m-4", Actor: "add", Args: []any{1, 1}},
			{ID: "m-5", Actor: "add", Kwargs: map[string]any{"a": 2, "b": 2}},
			{ID: "m-6", Actor: "add", Args: []any{3}, Kwargs: map[string]any{"b": 3}},
		},
	}}
	rdb := redistest.Client(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := rdb.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			q := pinned(NewQueue(rdb, tt.queue))
			ids, err := q.EnqueueMany(ctx, tt.msgs)
			if err != nil {
				t.Fatalf("EnqueueMany: %v", err)
			}
			for i, m := range tt.msgs {
				if ids[i] != m.ID {
					t.Errorf("ids[%d] = %q, want %q", i, ids[i], m.ID)
				}
			}
			got := dump(t, rdb)
			path := filepath.Join("testdata", "golden", strings.ReplaceAll(tt.name, " ", "-")+".json")
			if *update {
				writeJSON(t, path, got)
			}
			var want map[string]entry
			readJSON(t, path, &want)
			if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
				t.Fatalf("keys = %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
			}
			for key, w := range want {
				g := got[key]
				if g.Type != w.Type || !jsonEqual(t, g.Value, w.Value) {
					t.Errorf("%s differs from %s\n got: %s %s\nwant: %s %s", key, path, g.Type, g.Value, w.Type, w.Value)
				}
			}
		})
	}
}

// jsonEqual compares two JSON documents as values, so that the golden
// files may be indented; strings, such as the stored messages, still have
// to match byte for byte.
func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%#v", x) == fmt.Sprintf("%#v", y)
}

// TestMessageHasExactlyDramatiqsKeys checks the rule the worker enforces
// whatever the golden files say: seven top-level keys, in Dramatiq's order,
// compact, with message_timestamp an integer of milliseconds and the
// redis_message_id that acks need.
func TestMessageHasExactlyDramatiqsKeys(t *testing.T) {
	e, err := Message{Actor: "add", Args: []any{1}, Options: Options{MaxRetries: new(3)}}.encode("default", goldenTime, "rid")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(e.data))
	dec.UseNumber()
	var keys []string
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		t.Fatalf("the message is not a JSON object: %s", e.data)
	}
	values := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		keys = append(keys, key)
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		values[key] = v
	}
	want := []string{"queue_name", "actor_name", "args", "kwargs", "options", "message_id", "message_timestamp"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %q, want exactly %q", keys, want)
	}
	if bytes.ContainsAny(e.data, " \n") {
		t.Errorf("the message is not compact: %s", e.data)
	}
	if got := values["message_timestamp"]; got != json.Number("1709964302004") {
		t.Errorf("message_timestamp = %v, want 1709964302004 (ms, integer)", got)
	}
	opts := values["options"].(map[string]any)
	if opts["redis_message_id"] != "rid" || opts["max_retries"] != json.Number("3") {
		t.Errorf("options = %v, want redis_message_id rid and max_retries 3", opts)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if id := values["message_id"].(string); !uuid.MatchString(id) || id != e.messageID {
		t.Errorf("message_id = %q (returned %q), want the same random UUID", id, e.messageID)
	}
}

func TestEnqueueRefusesBadMessages(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{"no actor", Message{}, "encode message: the actor's name is empty"},
		{"negative retries", Message{Actor: "a", Options: Options{MaxRetries: new(-1)}}, "MaxRetries -1 is negative"},
		{"fraction of a millisecond", Message{Actor: "a", Options: Options{MinBackoff: 1500 * time.Microsecond}}, "MinBackoff 1.5ms is not a whole, positive number of milliseconds"},
		{"negative duration", Message{Actor: "a", Options: Options{MaxAge: -time.Second}}, "MaxAge -1s is not a whole"},
		{"argument JSON cannot hold", Message{Actor: "a", Args: []any{func() {}}}, "encode message for a: json: unsupported type: func()"},
	}
	rdb := redistest.Client(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewQueue(rdb, "")
			// A good message first: nothing of the batch may be written.
			_, err := q.EnqueueMany(ctx, []Message{{Actor: "ok"}, tt.msg})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("EnqueueMany error = %v, want one containing %q", err, tt.want)
			}
			if n := rdb.DBSize(ctx).Val(); n != 0 {
				t.Errorf("Redis holds %d keys after a refused batch", n)
			}
		})
	}
}

// TestEnqueueManyKeepsOrderAcrossTransactions sends more messages, and more
// bytes, than one transaction holds.
func TestEnqueueManyKeepsOrderAcrossTransactions(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	big := strings.Repeat("x", 3<<20)
	var msgs []Message
	for i := range 1234 {
		m := Message{Actor: "add", Args: []any{i}}
		if i%300 == 7 {
			m.Args = append(m.Args, big)
		}
		msgs = append(msgs, m)
	}
	q := pinned(NewQueue(rdb, ""))
	ids, err := q.EnqueueMany(ctx, msgs)
	if err != nil {
		t.Fatalf("EnqueueMany: %v", err)
	}
	if len(ids) != len(msgs) {
		t.Fatalf("got %d ids, want %d", len(ids), len(msgs))
	}
	list := rdb.LRange(ctx, "dramatiq:default", 0, -1).Val()
	stored := rdb.HGetAll(ctx, "dramatiq:default.msgs").Val()
	if len(list) != len(msgs) || len(stored) != len(msgs) {
		t.Fatalf("the list holds %d ids and the hash %d messages, want %d each", len(list), len(stored), len(msgs))
	}
	for i, rid := range list {
		var m wireMessage
		if err := json.Unmarshal([]byte(stored[rid]), &m); err != nil {
			t.Fatal(err)
		}
		if m.MessageID != ids[i] || m.Args[0] != float64(i) {
			t.Fatalf("list position %d holds message %s with args %v, want %s with %d first", i, m.MessageID, m.Args[:1], ids[i], i)
		}
	}
	p, err := q.Progress(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Progress{Queued: 1234}); p != want {
		t.Errorf("Progress = %s, want %s", p, want)
	}
}

// TestEnqueueManyReturnsTheIdsEnqueuedBeforeRedisFails fails the second
// transaction. The messages are large enough that two fill a transaction,
// so where the first one ends shows the byte limit at work.
func TestEnqueueManyReturnsTheIdsEnqueuedBeforeRedisFails(t *testing.T) {
	rdb := redistest.Client(t)
	lost := errors.New("connection reset")
	redisfault.FailTransaction(rdb, 2, lost)
	ctx := context.Background()
	q := pinned(NewQueue(rdb, ""))
	big := strings.Repeat("x", batch.RedisTransaction.Bytes*3/8)
	msgs := make([]Message, 5)
	for i := range msgs {
		msgs[i] = Message{ID: fmt.Sprintf("m-%d", i), Actor: "echo", Args: []any{big}}
	}

	ids, err := q.EnqueueMany(ctx, msgs)
	if want := "enqueue messages 3 to 4 of 5 on default: connection reset"; err == nil || err.Error() != want || !errors.Is(err, lost) {
		t.Errorf("EnqueueMany error = %v, want %q", err, want)
	}
	if want := []string{"m-0", "m-1"}; !slices.Equal(ids, want) {
		t.Errorf("EnqueueMany returned ids %q, want %q", ids, want)
	}
	list := rdb.LRange(ctx, "dramatiq:default", 0, -1).Val()
	stored := rdb.HKeys(ctx, "dramatiq:default.msgs").Val()
	if len(list) != 2 || len(stored) != 2 {
		t.Errorf("the list holds %d ids and the hash %d messages, want the first transaction's 2 each", len(list), len(stored))
	}
	// Progress counts as done what this Queue enqueued and Redis no longer
	// holds; the messages that were never written must not count.
	if p, err := q.Progress(ctx); err != nil || p != (Progress{Queued: 2}) {
		t.Errorf("Progress = %s, %v; want %s", p, err, Progress{Queued: 2})
	}
}
