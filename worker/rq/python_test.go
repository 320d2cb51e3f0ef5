package rq_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"io"
	"maps"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker/rq"
)

// enqueueWithPython enqueues a job the way a Python producer does, with RQ's
// own Queue.enqueue and the JSON serializer. The arguments arrive as the
// JSON Go encoded, so both sides describe the same Python values.
const enqueueWithPython = `import json, sys
from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer
url, spec = sys.argv[1], json.loads(sys.argv[2])
q = Queue(spec["queue"], connection=Redis.from_url(url), serializer=JSONSerializer)
options = {}
if spec["retries"]:
    options["retry"] = Retry(max=spec["retries"], interval=spec["intervals"] or 0)
for name in ("job_timeout", "result_ttl", "failure_ttl"):
    if spec[name] is not None:
        options[name] = spec[name]
q.enqueue(spec["func"], args=spec["args"] or [], kwargs=spec["kwargs"] or {}, job_id=spec["id"], **options)
`

type pythonSpec struct {
	ID         string          `json:"id"`
	Queue      string          `json:"queue"`
	Func       string          `json:"func"`
	Args       json.RawMessage `json:"args"`
	Kwargs     json.RawMessage `json:"kwargs"`
	Timeout    *int            `json:"job_timeout"`
	ResultTTL  *int            `json:"result_ttl"`
	FailureTTL *int            `json:"failure_ttl"`
	Retries    int             `json:"retries"`
	Intervals  []int           `json:"intervals"`
}

// TestJobHashMatchesPythonRQ enqueues the same jobs from Go and from
// Python's RQ and compares the hashes field by field: the only differences
// allowed are the timestamps and the compression of data.
func TestJobHashMatchesPythonRQ(t *testing.T) {
	seconds := func(n int) *int { return &n }
	tests := []struct {
		name   string
		job    rq.Job
		python pythonSpec
	}{{
		name:   "plain call",
		job:    rq.Job{Func: "jobs.add", Args: []any{1, 2}},
		python: pythonSpec{Func: "jobs.add", Args: json.RawMessage(`[1, 2]`)},
	}, {
		name: "arguments of every JSON type",
		job: rq.Job{
			Func: "app.tasks.handle",
			Args: []any{
				"it's", `say "hi"`, `both ' and "`, "tab\tnew\nline\x00\x1b\x7f\u00a0\u2028é€😀",
				json.Number("100.0"), json.Number("1e15"), json.Number("1E16"), json.Number("-0.0"), json.Number("-0"), 1.5, 1e-5, 0.0001, 123456789012345678, -0.25,
				nil, true, false, []any{}, map[string]any{},
				map[string]any{"z": 1, "a": []any{1.25, "x"}},
				strings.Repeat("long ", 30),
			},
			Kwargs: map[string]any{"b": 2, "a": "x", "B": nil, "é": []any{1}},
		},
	}, {
		name:   "timeouts and TTLs",
		job:    rq.Job{Func: "jobs.add", Timeout: 42 * time.Second, ResultTTL: rq.Forever, FailureTTL: 90 * time.Second},
		python: pythonSpec{Func: "jobs.add", Timeout: seconds(42), ResultTTL: seconds(-1), FailureTTL: seconds(90)},
	}, {
		name:   "retries",
		job:    rq.Job{Func: "jobs.boom", Retries: 3, RetryIntervals: []time.Duration{0, 5 * time.Second}},
		python: pythonSpec{Func: "jobs.boom", Retries: 3, Intervals: []int{0, 5}},
	}, {
		name:   "retries at once",
		job:    rq.Job{Func: "jobs.boom", Retries: 2},
		python: pythonSpec{Func: "jobs.boom", Retries: 2},
	}}

	rdb := redistest.Client(t)
	ctx := context.Background()
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.job.ID = "go-job"
			if _, err := rq.NewQueue(rdb, "go").Enqueue(ctx, tt.job); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			spec := tt.python
			spec.ID, spec.Queue = "python-job", "python"
			if tt.python.Func == "" {
				// The Python side gets exactly the JSON Go wrote.
				data := rdb.HGet(ctx, "rq:job:go-job", "data").Val()
				var call []json.RawMessage
				if err := json.Unmarshal([]byte(data), &call); err != nil || len(call) != 4 {
					t.Fatalf("data %s is not [func, instance, args, kwargs]: %v", data, err)
				}
				spec.Func, spec.Args, spec.Kwargs = tt.job.Func, call[2], call[3]
			}
			runPythonEnqueue(t, rdb, spec)

			goHash := rdb.HGetAll(ctx, "rq:job:go-job").Val()
			pyHash := rdb.HGetAll(ctx, "rq:job:python-job").Val()
			if got, want := sortedKeys(goHash), sortedKeys(pyHash); !slices.Equal(got, want) {
				t.Fatalf("Go wrote fields %q, Python RQ %q", got, want)
			}
			for field, pyValue := range pyHash {
				goValue := goHash[field]
				switch field {
				case "created_at", "enqueued_at":
					if !stamp.MatchString(goValue) {
						t.Errorf("%s = %q, not in RQ's format like %q", field, goValue, pyValue)
					}
				case "origin":
					if goValue != "go" || pyValue != "python" {
						t.Errorf("origin = %q and %q, want each job's queue", goValue, pyValue)
					}
				case "data":
					var goCall, pyCall any
					if err := json.Unmarshal([]byte(goValue), &goCall); err != nil {
						t.Fatalf("Go's data %s: %v", goValue, err)
					}
					if err := json.Unmarshal(inflate(t, pyValue), &pyCall); err != nil {
						t.Fatalf("Python's data: %v", err)
					}
					if !reflect.DeepEqual(goCall, pyCall) {
						t.Errorf("data differs\n    Go: %s\nPython: %s", goValue, inflate(t, pyValue))
					}
				default:
					if goValue != pyValue {
						t.Errorf("%s differs\n    Go: %s\nPython: %s", field, goValue, pyValue)
					}
				}
			}
			if err := rdb.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func runPythonEnqueue(t *testing.T, rdb *redis.Client, spec pythonSpec) {
	t.Helper()
	specJSON, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(rq.DefaultPython, "-c", enqueueWithPython, redistest.URL(rdb), string(specJSON)).CombinedOutput()
	if err != nil {
		t.Fatalf("enqueue with Python RQ: %v\n%s", err, out)
	}
}

func inflate(t *testing.T, s string) []byte {
	t.Helper()
	r, err := zlib.NewReader(strings.NewReader(s))
	if err != nil {
		t.Fatalf("Python RQ's data is not zlib: %v", err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
