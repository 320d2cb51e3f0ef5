package celery

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/compactjson"
	"github.com/leakspec/leakspec/internal/redistest"
)

// sendWithPython sends a task the way a Python producer does, with Celery's
// own send_task. The arguments arrive as the JSON Go encoded, so both sides
// describe the same Python values.
const sendWithPython = `import json, sys
from celery import Celery
url, spec = sys.argv[1], json.loads(sys.argv[2])
app = Celery("producer", broker=url)
options = {}
if spec["countdown"]:
    options["countdown"] = spec["countdown"]
if spec["retries"]:
    options["retries"] = spec["retries"]
app.send_task(spec["name"], args=spec["args"], kwargs=spec["kwargs"], task_id=spec["id"], queue=spec["queue"], **options)
`

type pythonSpec struct {
	ID        string          `json:"id"`
	Queue     string          `json:"queue"`
	Name      string          `json:"name"`
	Args      json.RawMessage `json:"args"`
	Kwargs    json.RawMessage `json:"kwargs"`
	Countdown float64         `json:"countdown"`
	Retries   int             `json:"retries"`
}

// TestMessageMatchesPythonCelery sends the same tasks from Go and from
// Python's Celery and compares what lands in Redis, key by key and field by
// field. The only differences allowed are those of two producers: the
// delivery tag, the producer's name (origin) and reply queue, and the
// moment an ETA was computed.
func TestMessageMatchesPythonCelery(t *testing.T) {
	tests := []struct {
		name string
		task Task
	}{
		{"plain call", Task{Name: "tasks.add", Args: []any{1, 2}}},
		{"no arguments", Task{Name: "tasks.boom"}},
		{"keyword arguments", Task{Name: "tasks.echo", Kwargs: map[string]any{"b": 2, "a": "it's", "é": []any{1.5, nil, true}}}},
		{"arguments of every JSON type", Task{Name: "tasks.echo", Args: []any{
			"it's", `say "hi"`, "tab\tnew\nline\x00é€😀", 1.5, 1e-5, 100.0, 1e16, -0.25, 123456789012345678,
			nil, true, false, []any{}, map[string]any{}, []any{[]any{[]any{[]any{1}}}},
			map[string]any{"z": 1, "a": map[string]any{"b": map[string]any{"c": 1}}},
		}}},
		{"arguments longer than argsrepr", Task{Name: "tasks.echo", Args: []any{strings.Repeat("long words ", 60), []any{strings.Repeat("x", 600), 1, 2}}}},
		{"countdown", Task{Name: "tasks.add", Args: []any{1, 2}, Countdown: 90 * time.Second}},
		{"a retry", Task{Name: "tasks.add", Args: []any{1, 2}, Retries: 3, Countdown: 1500 * time.Millisecond}},
	}

	rdb := redistest.Client(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := rdb.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			tt.task.ID = "go-task"
			if _, err := NewQueue(rdb, "go").Enqueue(ctx, tt.task); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			goMessage := onlyMessage(t, rdb, "go")
			// The Python side gets exactly the JSON Go wrote.
			var body []json.RawMessage
			if err := json.Unmarshal(decodeBody(t, goMessage), &body); err != nil || len(body) != 3 {
				t.Fatalf("Go's body is not [args, kwargs, embed]: %v", err)
			}
			runPythonSend(t, rdb, pythonSpec{
				ID: "python-task", Queue: "python", Name: tt.task.Name, Args: body[0], Kwargs: body[1],
				Countdown: tt.task.Countdown.Seconds(), Retries: tt.task.Retries,
			})
			pyMessage := onlyMessage(t, rdb, "python")

			goBinding := rdb.SMembers(ctx, "_kombu.binding.go").Val()
			pyBinding := rdb.SMembers(ctx, "_kombu.binding.python").Val()
			if want := []string{"python\x06\x16\x06\x16python"}; !reflect.DeepEqual(pyBinding, want) {
				t.Fatalf("Python declared the queue as %q, want %q: kombu changed", pyBinding, want)
			}
			if want := []string{"go\x06\x16\x06\x16go"}; !reflect.DeepEqual(goBinding, want) {
				t.Errorf("Go declared the queue as %q, want %q", goBinding, want)
			}
			if keys := rdb.Keys(ctx, "*").Val(); len(keys) != 4 {
				t.Errorf("Redis holds %q, want the two queues and their bindings", keys)
			}
			compareMessages(t, goMessage, pyMessage)
		})
	}
}

// compareMessages checks that Go's message says what Python's says. Ids and
// queue names differ on purpose: go-task on go, python-task on python.
func compareMessages(t *testing.T, goMessage, pyMessage map[string]any) {
	t.Helper()
	same := func(v any) any {
		b, _ := json.Marshal(v)
		s := strings.NewReplacer("go-task", "ID", "python-task", "ID", `"go"`, `"Q"`, `"python"`, `"Q"`).Replace(string(b))
		var out any
		_ = json.Unmarshal([]byte(s), &out)
		return out
	}
	if got, want := sortedKeys(goMessage), sortedKeys(pyMessage); !reflect.DeepEqual(got, want) {
		t.Fatalf("Go's message has keys %q, Python's %q", got, want)
	}
	var goBody, pyBody any
	_ = json.Unmarshal(decodeBody(t, goMessage), &goBody)
	_ = json.Unmarshal(decodeBody(t, pyMessage), &pyBody)
	if !reflect.DeepEqual(goBody, pyBody) {
		t.Errorf("bodies differ\n    Go: %s\nPython: %s", decodeBody(t, goMessage), decodeBody(t, pyMessage))
	}
	for _, key := range []string{"content-encoding", "content-type"} {
		if goMessage[key] != pyMessage[key] {
			t.Errorf("%s: Go %v, Python %v", key, goMessage[key], pyMessage[key])
		}
	}

	goHeaders, pyHeaders := goMessage["headers"].(map[string]any), pyMessage["headers"].(map[string]any)
	if got, want := sortedKeys(goHeaders), sortedKeys(pyHeaders); !reflect.DeepEqual(got, want) {
		t.Fatalf("Go's headers are %q, Python's %q", got, want)
	}
	origin := regexp.MustCompile(`^gen\d+@\S+$`)
	for key, pyValue := range pyHeaders {
		goValue := goHeaders[key]
		switch key {
		case "origin":
			if !origin.MatchString(fmt.Sprint(goValue)) {
				t.Errorf("origin = %v, want gen<pid>@<host> like Python's %v", goValue, pyValue)
			}
		case "eta":
			compareETA(t, goValue, pyValue)
		default:
			if !reflect.DeepEqual(same(goValue), same(pyValue)) {
				t.Errorf("header %s differs\n    Go: %#v\nPython: %#v", key, goValue, pyValue)
			}
		}
	}

	goProps, pyProps := goMessage["properties"].(map[string]any), pyMessage["properties"].(map[string]any)
	if got, want := sortedKeys(goProps), sortedKeys(pyProps); !reflect.DeepEqual(got, want) {
		t.Fatalf("Go's properties are %q, Python's %q", got, want)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for key, pyValue := range pyProps {
		goValue := goProps[key]
		switch key {
		case "delivery_tag":
			if !uuid.MatchString(fmt.Sprint(goValue)) {
				t.Errorf("delivery_tag = %v, want a UUID like Python's %v", goValue, pyValue)
			}
		case "reply_to":
			// Python names its app's reply queue, which only the RPC result
			// backend reads; as_task_v2 writes "" without one.
			if goValue != "" {
				t.Errorf("reply_to = %v, want empty", goValue)
			}
		default:
			if !reflect.DeepEqual(same(goValue), same(pyValue)) {
				t.Errorf("property %s differs\n    Go: %#v\nPython: %#v", key, goValue, pyValue)
			}
		}
	}
}

// compareETA checks that both ETAs are null, or both in isoformat's form
// and about as far ahead of their sending: Python sent a second or so later.
func compareETA(t *testing.T, goValue, pyValue any) {
	t.Helper()
	if (goValue == nil) != (pyValue == nil) {
		t.Errorf("eta: Go %v, Python %v", goValue, pyValue)
		return
	}
	if goValue == nil {
		return
	}
	iso := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$`)
	if !iso.MatchString(goValue.(string)) || !iso.MatchString(pyValue.(string)) {
		t.Fatalf("eta: Go %q, Python %q, want both in isoformat", goValue, pyValue)
	}
	goETA, _ := time.Parse(time.RFC3339Nano, goValue.(string))
	pyETA, _ := time.Parse(time.RFC3339Nano, pyValue.(string))
	if d := pyETA.Sub(goETA); d < 0 || d > 10*time.Second {
		t.Errorf("eta: Python's %s is %v after Go's %s, want it a little later", pyETA, d, goETA)
	}
}

func TestSafereprMatchesCelery(t *testing.T) {
	values := []any{
		[]any{},
		[]any{1, 2},
		[]any{"it's", `say "hi"`, `back\slash`, "tab\tnew\nline\x00\x1b\x7f é€😀"},
		[]any{1.5, 1e-5, 0.0001, 100.0, 1e15, 1e16, 1.5e16, -0.25, 123456789012345678, json.Number("-0"), json.Number("-0.0"), json.Number("1E3"), json.Number("1e400")},
		[]any{nil, true, false, []any{}, map[string]any{}},
		[]any{[]any{[]any{[]any{1}}}, []any{[]any{[]any{}}}, map[string]any{"a": map[string]any{"b": map[string]any{"c": 1}}}},
		map[string]any{"b": 2, "a": "x", "B": nil, "é": []any{1}},
		map[string]any{},
		[]any{strings.Repeat("long words ", 120)},
		[]any{strings.Repeat("x", 2000)},
		[]any{strings.Repeat("y", 1022), 12345},
		[]any{strings.Repeat("y", 1019), []any{1, 2}},
		[]any{strings.Repeat("y", 1016), []any{1, 2}},
		[]any{strings.Repeat("z", 1015), map[string]any{"key": "value"}},
		[]any{strings.Repeat("z", 1011), map[string]any{"key": "value"}},
		[]any{strings.Repeat("z", 1013), map[string]any{"key": "value"}},
		map[string]any{strings.Repeat("k", 1030): 1},
	}
	for i := 990; i < 1030; i += 3 {
		values = append(values, []any{strings.Repeat("é", i), []any{[]any{7}}, "tail"})
	}
	var docs []json.RawMessage
	var want []string
	for _, v := range values {
		doc, err := compactjson.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := saferepr(doc, reprMaxSize)
		if err != nil {
			t.Fatalf("saferepr(%s): %v", doc, err)
		}
		docs, want = append(docs, doc), append(want, got)
	}
	input, _ := json.Marshal(docs)
	out, err := exec.Command(DefaultPython, "-c", `import json, sys
from celery.utils.saferepr import saferepr
print(json.dumps([saferepr(v, 1024) for v in json.loads(sys.argv[1])]))`, string(input)).CombinedOutput()
	if err != nil {
		t.Fatalf("saferepr with Python: %v\n%s", err, out)
	}
	var python []string
	if err := json.Unmarshal(out, &python); err != nil {
		t.Fatalf("Python printed %s: %v", out, err)
	}
	for i := range python {
		if want[i] != python[i] {
			t.Errorf("saferepr(%.80s...)\n    Go: %q\nPython: %q", docs[i], want[i], python[i])
		}
	}
}

func runPythonSend(t *testing.T, rdb *redis.Client, spec pythonSpec) {
	t.Helper()
	specJSON, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(DefaultPython, "-c", sendWithPython, redistest.URL(rdb), string(specJSON)).CombinedOutput()
	if err != nil {
		t.Fatalf("send with Python Celery: %v\n%s", err, out)
	}
}

// onlyMessage returns the one message in queue, decoded.
func onlyMessage(t *testing.T, rdb *redis.Client, queue string) map[string]any {
	t.Helper()
	raw := rdb.LRange(context.Background(), queue, 0, -1).Val()
	if len(raw) != 1 {
		t.Fatalf("queue %s holds %d messages, want 1", queue, len(raw))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw[0]), &m); err != nil {
		t.Fatalf("message on %s is not JSON: %v\n%s", queue, err, raw[0])
	}
	return m
}

func decodeBody(t *testing.T, message map[string]any) []byte {
	t.Helper()
	body, err := base64.StdEncoding.DecodeString(fmt.Sprint(message["body"]))
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	return body
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}
