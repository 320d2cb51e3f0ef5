package rq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/batch"
	"github.com/leakspec/leakspec/internal/redisfault"
	"github.com/leakspec/leakspec/internal/redistest"
)

// The fixed clock of the golden tests, with a fraction that shows the
// padding to six digits.
var goldenTime = time.Date(2024, 3, 9, 7, 5, 2, 4_000, time.FixedZone("CET", 3600))

const goldenStamp = "2024-03-09T06:05:02.000004Z"

func TestEnqueueWritesRQsJobHash(t *testing.T) {
	tests := []struct {
		name string
		job  Job
		want map[string]string
	}{{
		name: "defaults",
		job:  Job{ID: "job-1", Func: "jobs.add", Args: []any{1, 2}},
		want: map[string]string{
			"created_at":            goldenStamp,
			"data":                  `["jobs.add",null,[1,2],{}]`,
			"success_callback_name": "",
			"failure_callback_name": "",
			"started_at":            "",
			"ended_at":              "",
			"last_heartbeat":        "",
			"worker_name":           "",
			"origin":                "default",
			"description":           "jobs.add(1, 2)",
			"enqueued_at":           goldenStamp,
			"timeout":               "180",
			"status":                "queued",
		},
	}, {
		name: "every option",
		job: Job{
			ID:             "job-2",
			Func:           "app.tasks.resize",
			Args:           []any{"a<b>&c", 1.5, nil, true},
			Kwargs:         map[string]any{"size": 64, "mode": []string{"fast"}},
			Timeout:        1500 * time.Millisecond,
			ResultTTL:      time.Hour,
			FailureTTL:     Forever,
			Retries:        3,
			RetryIntervals: []time.Duration{0, 10 * time.Second, time.Millisecond},
		},
		want: map[string]string{
			"created_at":            goldenStamp,
			"data":                  `["app.tasks.resize",null,["a<b>&c",1.5,null,true],{"mode":["fast"],"size":64}]`,
			"success_callback_name": "",
			"failure_callback_name": "",
			"started_at":            "",
			"ended_at":              "",
			"last_heartbeat":        "",
			"worker_name":           "",
			"retries_left":          "3",
			"retry_intervals":       "[0, 10, 1]",
			"origin":                "default",
			"description":           "app.tasks.resize('a<b>&c', 1.5, None, True, mode=['fast'], size=64)",
			"enqueued_at":           goldenStamp,
			"timeout":               "2",
			"result_ttl":            "3600",
			"failure_ttl":           "-1",
			"status":                "queued",
		},
	}, {
		name: "retries without intervals and no time limit",
		job:  Job{ID: "job-3", Func: "jobs.boom", Timeout: Forever, Retries: 1},
		want: map[string]string{
			"created_at":            goldenStamp,
			"data":                  `["jobs.boom",null,[],{}]`,
			"success_callback_name": "",
			"failure_callback_name": "",
			"started_at":            "",
			"ended_at":              "",
			"last_heartbeat":        "",
			"worker_name":           "",
			"retries_left":          "1",
			"retry_intervals":       "[0]",
			"origin":                "default",
			"description":           "jobs.boom()",
			"enqueued_at":           goldenStamp,
			"timeout":               "-1",
			"status":                "queued",
		},
	}}
	rdb := redistest.Client(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := rdb.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			q := NewQueue(rdb, "")
			q.now = func() time.Time { return goldenTime }

			id, err := q.Enqueue(ctx, tt.job)
			if err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			if id != tt.job.ID {
				t.Errorf("Enqueue returned id %q, want %q", id, tt.job.ID)
			}
			got := rdb.HGetAll(ctx, "rq:job:"+id).Val()
			if !maps.Equal(got, tt.want) {
				t.Errorf("rq:job:%s differs\n got: %v\nwant: %v", id, got, tt.want)
			}
			if got := rdb.LRange(ctx, "rq:queue:default", 0, -1).Val(); !slices.Equal(got, []string{id}) {
				t.Errorf("rq:queue:default = %q, want [%s]", got, id)
			}
			if got := rdb.SMembers(ctx, "rq:queues").Val(); !slices.Equal(got, []string{"rq:queue:default"}) {
				t.Errorf("rq:queues = %q, want [rq:queue:default]", got)
			}
			keys := rdb.Keys(ctx, "*").Val()
			slices.Sort(keys)
			if want := []string{"rq:job:" + id, "rq:queue:default", "rq:queues"}; !slices.Equal(keys, want) {
				t.Errorf("keys = %q, want %q", keys, want)
			}
		})
	}
}

func TestEnqueueRejectsJobsRQCannotRun(t *testing.T) {
	tests := []struct {
		name string
		job  Job
		want string
	}{
		{"no func", Job{}, "Func is empty"},
		{"no module", Job{Func: "add"}, `Func "add" is not a dotted path`},
		{"empty module", Job{Func: ".add"}, "is not a dotted path"},
		{"empty attribute", Job{Func: "jobs."}, "is not a dotted path"},
		{"negative retries", Job{Func: "jobs.add", Retries: -1}, "Retries is -1"},
		{"intervals without retries", Job{Func: "jobs.add", RetryIntervals: []time.Duration{time.Second}}, "Retries is 0"},
		{"negative interval", Job{Func: "jobs.add", Retries: 1, RetryIntervals: []time.Duration{-time.Second}}, "is negative"},
		{"args JSON cannot hold", Job{Func: "jobs.add", Args: []any{make(chan int)}}, "encode args"},
		{"kwargs JSON cannot hold", Job{Func: "jobs.add", Kwargs: map[string]any{"f": func() {}}}, "encode kwargs"},
	}
	rdb := redistest.Client(t)
	q := NewQueue(rdb, "")
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := q.Enqueue(ctx, tt.job); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Enqueue error = %v, want one containing %q", err, tt.want)
			}
			// EnqueueMany checks every job before it writes the first.
			jobs := []Job{{Func: "jobs.add"}, tt.job}
			if ids, err := q.EnqueueMany(ctx, jobs); err == nil || len(ids) != 0 {
				t.Errorf("EnqueueMany = %q, %v; want no ids and an error", ids, err)
			}
			if keys := rdb.Keys(ctx, "*").Val(); len(keys) != 0 {
				t.Errorf("a rejected job left keys %q", keys)
			}
		})
	}
}

func TestEnqueueManyKeepsOrderAcrossTransactions(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	q := NewQueue(rdb, "bulk")
	n := 2*batch.RedisTransaction.Items + 3 // three transactions, the last one short
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = Job{Func: "jobs.add", Args: []any{i, i}}
	}
	jobs[7].ID = "chosen-id"

	ids, err := q.EnqueueMany(ctx, jobs)
	if err != nil {
		t.Fatalf("EnqueueMany: %v", err)
	}
	if got := rdb.LRange(ctx, "rq:queue:bulk", 0, -1).Val(); !slices.Equal(got, ids) {
		t.Fatalf("rq:queue:bulk holds %d ids, not the %d returned in the same order", len(got), len(ids))
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := make(map[string]bool, n)
	for i, id := range ids {
		if i == 7 {
			if id != "chosen-id" {
				t.Errorf("ids[7] = %q, want the given chosen-id", id)
			}
		} else if !uuid.MatchString(id) {
			t.Errorf("ids[%d] = %q, want a random UUID", i, id)
		}
		if seen[id] {
			t.Errorf("id %s returned twice", id)
		}
		seen[id] = true
	}
	var args [3]any
	data := rdb.HGet(ctx, "rq:job:"+ids[n-1], "data").Val()
	if err := json.Unmarshal([]byte(data), &args); err != nil || args[2].([]any)[0] != float64(n-1) {
		t.Errorf("last job's data = %s (%v), want the args of job %d", data, err, n-1)
	}
}

// TestEnqueueManyReturnsTheIdsEnqueuedBeforeRedisFails fails the second
// transaction. The jobs are large enough that two fill a transaction, so
// where the first one ends shows the byte limit at work.
func TestEnqueueManyReturnsTheIdsEnqueuedBeforeRedisFails(t *testing.T) {
	rdb := redistest.Client(t)
	lost := errors.New("connection reset")
	redisfault.FailTransaction(rdb, 2, lost)
	ctx := context.Background()
	q := NewQueue(rdb, "bulk")
	big := strings.Repeat("x", batch.RedisTransaction.Bytes*3/8)
	jobs := make([]Job, 5)
	for i := range jobs {
		jobs[i] = Job{ID: fmt.Sprintf("job-%d", i), Func: "jobs.echo", Args: []any{big}}
	}

	ids, err := q.EnqueueMany(ctx, jobs)
	if want := "enqueue jobs 3 to 4 of 5 on bulk: connection reset"; err == nil || err.Error() != want || !errors.Is(err, lost) {
		t.Errorf("EnqueueMany error = %v, want %q", err, want)
	}
	want := []string{"job-0", "job-1"}
	if !slices.Equal(ids, want) {
		t.Errorf("EnqueueMany returned ids %q, want %q", ids, want)
	}
	if got := rdb.LRange(ctx, "rq:queue:bulk", 0, -1).Val(); !slices.Equal(got, want) {
		t.Errorf("rq:queue:bulk holds %q, want %q", got, want)
	}
	if n := rdb.Exists(ctx, "rq:job:job-2", "rq:job:job-3", "rq:job:job-4").Val(); n != 0 {
		t.Errorf("%d jobs of the failed transaction and after it are stored, want none", n)
	}
}

func TestStatusReadsTheJob(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	q := NewQueue(rdb, "")
	q.now = func() time.Time { return goldenTime }
	id, err := q.Enqueue(ctx, Job{Func: "jobs.add", Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.Status(ctx, id)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	want := JobStatus{ID: id, State: StateQueued, Origin: "default", RetriesLeft: 2, EnqueuedAt: goldenTime.Truncate(time.Microsecond).UTC()}
	if got != want {
		t.Errorf("Status = %+v, want %+v", got, want)
	}
	if _, err := q.Status(ctx, "no-such-id"); !errors.Is(err, ErrNoSuchJob) {
		t.Errorf("Status of an unknown id: %v, want ErrNoSuchJob", err)
	}
}

// BenchmarkEnqueueMany measures enqueueing from Go in batches of 1000 jobs
// against a local redis-server.
func BenchmarkEnqueueMany(b *testing.B) {
	rdb := redistest.Client(b)
	ctx := context.Background()
	q := NewQueue(rdb, "")
	jobs := make([]Job, 1000)
	for i := range jobs {
		jobs[i] = Job{Func: "jobs.add", Args: []any{i, "payload"}, Kwargs: map[string]any{"size": 64}}
	}
	for b.Loop() {
		if _, err := q.EnqueueMany(ctx, jobs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(jobs))/b.Elapsed().Seconds(), "jobs/s")
}
