package dramatiq

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
)

// enqueueWithPython enqueues messages the way a Python producer does, with
// Dramatiq's own RedisBroker.enqueue, from specs Go encoded as JSON.
const enqueueWithPython = `import json, sys
from dramatiq.brokers.redis import RedisBroker
from dramatiq.message import Message
broker = RedisBroker(url=sys.argv[1])
for s in json.loads(sys.argv[2]):
    broker.enqueue(Message(queue_name=s["queue"], actor_name=s["actor"], args=tuple(s["args"]),
                           kwargs=s["kwargs"], options=s["options"], message_id=s["id"],
                           message_timestamp=s["timestamp"]))
`

// TestEnqueueMatchesPythonDramatiq enqueues the same messages from Go and
// from Dramatiq's RedisBroker and compares the databases: the same keys,
// and the same message bytes but for the random Redis ids.
func TestEnqueueMatchesPythonDramatiq(t *testing.T) {
	requireDramatiq(t)
	msgs := []Message{
		{ID: "m-1", Actor: "add", Args: []any{1, 2}},
		{ID: "m-2", Actor: "render", Args: []any{"a<b>&c", 1.5, nil, true, []any{}, map[string]any{"k": []any{1}}, `say "hi"` + "\n"},
			Kwargs: map[string]any{"b": 2, "a": "x"},
			Options: Options{MaxRetries: new(1_000_000), MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
				TimeLimit: 2 * time.Second, MaxAge: time.Hour}},
		{ID: "m-3", Actor: "fail", Args: []any{128}, Options: Options{MaxRetries: new(0)}},
	}
	ctx := context.Background()
	for _, queue := range []string{"", "reports"} {
		goRDB, pyRDB := redistest.Client(t), redistest.Client(t)
		q := pinned(NewQueue(goRDB, queue))
		if _, err := q.EnqueueMany(ctx, msgs); err != nil {
			t.Fatal(err)
		}

		// Python gets the same message, with the options in the order Go
		// writes them, so that the bytes can be compared.
		var specs []map[string]any
		for _, m := range msgs {
			e, err := m.encode(q.Name(), goldenTime, "")
			if err != nil {
				t.Fatal(err)
			}
			var w struct {
				wireMessage
				Options json.RawMessage `json:"options"`
			}
			if err := json.Unmarshal(e.data, &w); err != nil {
				t.Fatal(err)
			}
			// The broker adds redis_message_id itself, last.
			opts := strings.Replace(string(w.Options), `"redis_message_id":""`, "", 1)
			opts = strings.Replace(opts, ",}", "}", 1)
			specs = append(specs, map[string]any{"queue": w.QueueName, "actor": w.ActorName, "args": w.Args,
				"kwargs": w.Kwargs, "options": json.RawMessage(opts), "id": w.MessageID, "timestamp": w.MessageTimestamp})
		}
		arg, _ := json.Marshal(specs)
		if out, err := exec.Command(python(), "-c", enqueueWithPython, redistest.URL(pyRDB), string(arg)).CombinedOutput(); err != nil {
			t.Fatalf("enqueue with Python: %v\n%s", err, out)
		}

		name := q.Name()
		goIDs := goRDB.LRange(ctx, "dramatiq:"+name, 0, -1).Val()
		pyIDs := pyRDB.LRange(ctx, "dramatiq:"+name, 0, -1).Val()
		// Every call of the broker's script also stamps the caller in the
		// heartbeats set, which only matters for a worker's acks: a producer
		// has none, and maintenance drops its entry. Go writes none.
		goKeys := goRDB.Keys(ctx, "*").Val()
		pyKeys := slices.DeleteFunc(pyRDB.Keys(ctx, "*").Val(), func(k string) bool { return k == "dramatiq:__heartbeats__" })
		slices.Sort(goKeys)
		slices.Sort(pyKeys)
		if !slices.Equal(goKeys, pyKeys) {
			t.Fatalf("queue %q: Go wrote keys %v, Python %v", name, goKeys, pyKeys)
		}
		if len(goIDs) != len(msgs) || len(pyIDs) != len(msgs) {
			t.Fatalf("queue %q: Go listed %d ids, Python %d, want %d", name, len(goIDs), len(pyIDs), len(msgs))
		}
		for i := range msgs {
			goData := goRDB.HGet(ctx, "dramatiq:"+name+".msgs", goIDs[i]).Val()
			pyData := pyRDB.HGet(ctx, "dramatiq:"+name+".msgs", pyIDs[i]).Val()
			if strings.ReplaceAll(pyData, pyIDs[i], goIDs[i]) != goData {
				t.Errorf("queue %q, message %d differs\n  Go: %s\nPython: %s", name, i, goData, pyData)
			}
		}
	}
}
