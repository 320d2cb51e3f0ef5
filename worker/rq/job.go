package rq

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/leakspec/leakspec/internal/compactjson"
)

// DefaultTimeout is how long RQ lets a job run when Job.Timeout is zero; it
// is the default of RQ's own Queue.
const DefaultTimeout = 180 * time.Second

// timestampLayout is RQ's "%Y-%m-%dT%H:%M:%S.%fZ" (always six fractional
// digits, always UTC).
const timestampLayout = "2006-01-02T15:04:05.000000Z"

// Job is one function call for an RQ worker to make.
type Job struct {
	// ID names the job in Redis (rq:job:<ID>); a random UUID when empty.
	ID string
	// Func is the dotted path of the function the worker imports and calls,
	// such as "jobs.add".
	Func string
	// Args and Kwargs are the call's arguments. They travel as JSON, so the
	// worker sees JSON's types: numbers, strings, booleans, None, lists and
	// dicts.
	Args   []any
	Kwargs map[string]any
	// Timeout is how long the job may run before the worker kills it:
	// DefaultTimeout when zero, no limit when negative. RQ counts whole
	// seconds; a fraction rounds up.
	Timeout time.Duration
	// ResultTTL is how long a finished job and its result stay in Redis,
	// and in the finished registry that Progress counts: RQ's default of
	// 500 s when zero, forever when negative. Whole seconds, rounded up.
	ResultTTL time.Duration
	// FailureTTL is the same for a failed job: RQ's default of one year
	// when zero, forever when negative.
	FailureTTL time.Duration
	// Retries is how many more times the worker runs the job after it
	// fails; zero means a failure is final.
	Retries int
	// RetryIntervals are the waits before each retry, the last one reused
	// when there are more retries than intervals. Zero re-queues the job at
	// once; any other wait parks it in the scheduled registry, which only a
	// worker started with WorkerOptions.Scheduler serves. Whole seconds,
	// rounded up.
	RetryIntervals []time.Duration
}

// Forever, given as a Job's ResultTTL or FailureTTL, keeps the job in Redis
// until someone deletes it; as a Timeout, it lets the job run without limit.
const Forever time.Duration = -1

// hash is a job as RQ stores it: the key and the field-value pairs of
// rq:job:<id>, in the order HSET receives them.
type hash struct {
	id     string
	key    string
	fields []any
}

// size is how many bytes of keys, names and values writing the hash and
// queueing its id send.
func (h hash) size() int {
	n := len(h.key) + len(h.id)
	for _, f := range h.fields {
		switch f := f.(type) {
		case string:
			n += len(f)
		case []byte:
			n += len(f)
		}
	}
	return n
}

// encode lays the job out as RQ 1.13's Job.to_dict would for a job enqueued
// on queue at now.
func (j Job) encode(queue string, now time.Time) (hash, error) {
	if err := j.validate(); err != nil {
		return hash{}, err
	}
	id := j.ID
	if id == "" {
		id = uuid.NewString()
	}
	args, kwargs := j.Args, j.Kwargs
	if args == nil {
		args = []any{}
	}
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	argsJSON, err := compactjson.Marshal(args)
	if err != nil {
		return hash{}, fmt.Errorf("encode args of job %s: %w", id, err)
	}
	kwargsJSON, err := compactjson.Marshal(kwargs)
	if err != nil {
		return hash{}, fmt.Errorf("encode kwargs of job %s: %w", id, err)
	}
	description, err := callString(j.Func, argsJSON, kwargsJSON)
	if err != nil {
		return hash{}, fmt.Errorf("describe job %s: %w", id, err)
	}
	funcJSON, _ := compactjson.Marshal(j.Func) // a string always marshals
	data := make([]byte, 0, len(funcJSON)+len(argsJSON)+len(kwargsJSON)+8)
	data = append(data, '[')
	data = append(data, funcJSON...)
	data = append(data, ",null,"...)
	data = append(data, argsJSON...)
	data = append(data, ',')
	data = append(data, kwargsJSON...)
	data = append(data, ']')

	stamp := now.UTC().Format(timestampLayout)
	timeout := int64(-1)
	switch {
	case j.Timeout == 0:
		timeout = seconds(DefaultTimeout)
	case j.Timeout > 0:
		timeout = seconds(j.Timeout)
	}
	// The empty fields are what RQ writes for a job that has not run yet;
	// writing them too keeps a Go job indistinguishable from a Python one.
	fields := []any{
		"created_at", stamp,
		"data", data,
		"success_callback_name", "",
		"failure_callback_name", "",
		"started_at", "",
		"ended_at", "",
		"last_heartbeat", "",
		"worker_name", "",
	}
	if j.Retries > 0 {
		fields = append(fields,
			"retries_left", strconv.Itoa(j.Retries),
			"retry_intervals", retryIntervals(j.RetryIntervals))
	}
	fields = append(fields,
		"origin", queue,
		"description", description,
		"enqueued_at", stamp,
		"timeout", strconv.FormatInt(timeout, 10))
	if j.ResultTTL != 0 {
		fields = append(fields, "result_ttl", ttl(j.ResultTTL))
	}
	if j.FailureTTL != 0 {
		fields = append(fields, "failure_ttl", ttl(j.FailureTTL))
	}
	fields = append(fields, "status", string(StateQueued))
	return hash{id: id, key: jobKey(id), fields: fields}, nil
}

// validate rejects what RQ would only reject when the worker runs the job.
func (j Job) validate() error {
	name := j.ID
	if name == "" {
		name = "for " + strconv.Quote(j.Func)
	}
	module, attr, ok := strings.Cut(j.Func, ".")
	switch {
	case j.Func == "":
		return fmt.Errorf("enqueue job %s: Func is empty; give the dotted path of a function, such as \"jobs.add\"", name)
	case !ok || module == "" || attr == "" || strings.HasSuffix(attr, "."):
		return fmt.Errorf("enqueue job %s: Func %q is not a dotted path such as \"jobs.add\"", name, j.Func)
	case j.Retries < 0:
		return fmt.Errorf("enqueue job %s: Retries is %d; it must not be negative", name, j.Retries)
	case j.Retries == 0 && len(j.RetryIntervals) > 0:
		return fmt.Errorf("enqueue job %s: RetryIntervals are given but Retries is 0", name)
	}
	for _, d := range j.RetryIntervals {
		if d < 0 {
			return fmt.Errorf("enqueue job %s: retry interval %s is negative", name, d)
		}
	}
	return nil
}

// retryIntervals formats the intervals as Python's json.dumps does, which
// is what RQ stores; no intervals means retry at once, RQ's [0].
func retryIntervals(intervals []time.Duration) string {
	if len(intervals) == 0 {
		return "[0]"
	}
	parts := make([]string, len(intervals))
	for i, d := range intervals {
		parts[i] = strconv.FormatInt(seconds(d), 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// ttl formats a TTL for RQ, where -1 means forever.
func ttl(d time.Duration) string {
	if d < 0 {
		return "-1"
	}
	return strconv.FormatInt(seconds(d), 10)
}

// seconds rounds d up to whole seconds, so that a short but non-zero
// duration never turns into RQ's 0, which means "none" or "at once".
func seconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second > 0 {
		s++
	}
	return s
}

// ErrNoSuchJob is returned for a job id with no hash in Redis: it was never
// enqueued, or its result or failure TTL has expired.
var ErrNoSuchJob = errors.New("no such job (never enqueued, or its TTL expired)")

// Keys of RQ 1.13's Redis layout.
const queuesKey = "rq:queues"

func jobKey(id string) string         { return "rq:job:" + id }
func resultsKey(id string) string     { return "rq:results:" + id }
func queueKey(name string) string     { return "rq:queue:" + name }
func startedKey(name string) string   { return "rq:wip:" + name }
func finishedKey(name string) string  { return "rq:finished:" + name }
func failedKey(name string) string    { return "rq:failed:" + name }
func scheduledKey(name string) string { return "rq:scheduled:" + name }
