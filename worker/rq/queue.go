package rq

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/batch"
	"github.com/leakspec/leakspec/worker"
)

// DefaultQueue is the queue RQ's worker and NewQueue use when none is named.
const DefaultQueue = "default"

// Queue is one named RQ queue in a Redis database.
type Queue struct {
	rdb  *redis.Client
	name string
	// now stamps created_at and enqueued_at; tests pin it.
	now func() time.Time
	// workers, when set, returns the workers serving the queue; a wait
	// ends as soon as one of them has exited (see WatchWorkers).
	workers func() []*worker.Process
}

// WatchWorkers makes the waits on q end as soon as one of the workers that
// workers returns has exited, with an error that says how it ended, rather
// than wait out their context for jobs nobody will run: a worker killed by
// the memory ceiling, by the OOM killer or by a crash. A worker that was
// stopped with Stop does not count. workers is called at every poll, so it
// may list workers started after this call. It returns q.
func (q *Queue) WatchWorkers(workers func() []*worker.Process) *Queue {
	q.workers = workers
	return q
}

// NewQueue returns the queue called name in rdb; an empty name is RQ's
// DefaultQueue.
func NewQueue(rdb *redis.Client, name string) *Queue {
	if name == "" {
		name = DefaultQueue
	}
	return &Queue{rdb: rdb, name: name, now: time.Now}
}

// Name returns the queue's name, as a worker is told to listen on it.
func (q *Queue) Name() string { return q.name }

// Enqueue stores the job and puts it at the back of the queue, in one
// transaction, and returns its id.
func (q *Queue) Enqueue(ctx context.Context, job Job) (string, error) {
	h, err := job.encode(q.name, q.now())
	if err != nil {
		return "", err
	}
	if err := q.push(ctx, []hash{h}); err != nil {
		return "", fmt.Errorf("enqueue job %s on %s: %w", h.id, q.name, err)
	}
	return h.id, nil
}

// EnqueueMany enqueues jobs in order and returns their ids. It checks every
// job before it writes any, then sends them in transactions of up to 500
// jobs or 8 MiB (batch.RedisTransaction). If Redis fails midway, the ids of
// the jobs already enqueued come back with the error.
func (q *Queue) EnqueueMany(ctx context.Context, jobs []Job) ([]string, error) {
	now := q.now()
	hashes := make([]hash, len(jobs))
	for i, job := range jobs {
		h, err := job.encode(q.name, now)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	ids := make([]string, 0, len(jobs))
	size := func(i int) int { return hashes[i].size() }
	for start, end := range batch.Ranges(len(hashes), batch.RedisTransaction, size) {
		if err := q.push(ctx, hashes[start:end]); err != nil {
			return ids, fmt.Errorf("enqueue jobs %d to %d of %d on %s: %w", start+1, end, len(jobs), q.name, err)
		}
		for _, h := range hashes[start:end] {
			ids = append(ids, h.id)
		}
	}
	return ids, nil
}

// push writes hashes and their ids in one MULTI. Each hash precedes its id,
// so the worker can never pop an id whose job is not stored yet.
func (q *Queue) push(ctx context.Context, hashes []hash) error {
	_, err := q.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.SAdd(ctx, queuesKey, queueKey(q.name))
		for _, h := range hashes {
			pipe.HSet(ctx, h.key, h.fields...)
			pipe.RPush(ctx, queueKey(q.name), h.id)
		}
		return nil
	})
	return err
}

// Progress counts a queue's jobs by where they are in RQ's lifecycle.
type Progress struct {
	// Queued jobs wait in the queue list, including failed jobs that went
	// back for a retry.
	Queued int64
	// Started jobs are running (RQ's "wip" registry).
	Started int64
	// Finished and Failed jobs are done. A job stays counted until its
	// result or failure TTL expires and the worker's periodic cleanup
	// (every ten minutes) drops it; give long scenarios a ResultTTL that
	// outlasts them.
	Finished int64
	Failed   int64
	// Scheduled jobs wait for a retry interval to pass.
	Scheduled int64
}

// Done returns how many jobs have ended, well or not.
func (p Progress) Done() int64 { return p.Finished + p.Failed }

// String reads like "48 finished, 1 failed, 1 started, 2 queued, 0 scheduled".
func (p Progress) String() string {
	return fmt.Sprintf("%d finished, %d failed, %d started, %d queued, %d scheduled",
		p.Finished, p.Failed, p.Started, p.Queued, p.Scheduled)
}

// Progress reads the queue's counts. They come from one MULTI, so a job
// moving from started to finished is counted exactly once.
func (q *Queue) Progress(ctx context.Context) (Progress, error) {
	var queued, started, finished, failed, scheduled *redis.IntCmd
	_, err := q.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		queued = pipe.LLen(ctx, queueKey(q.name))
		started = pipe.ZCard(ctx, startedKey(q.name))
		finished = pipe.ZCard(ctx, finishedKey(q.name))
		failed = pipe.ZCard(ctx, failedKey(q.name))
		scheduled = pipe.ZCard(ctx, scheduledKey(q.name))
		return nil
	})
	if err != nil {
		return Progress{}, fmt.Errorf("read progress of %s: %w", q.name, err)
	}
	return Progress{
		Queued:    queued.Val(),
		Started:   started.Val(),
		Finished:  finished.Val(),
		Failed:    failed.Val(),
		Scheduled: scheduled.Val(),
	}, nil
}

// WaitFinished polls Progress every poll (50 ms when zero) until at least n
// jobs have ended, finished or failed, and returns the last counts. When ctx
// ends first, or a worker it watches (WatchWorkers) exits first, the error
// says how far the queue got and why it stopped. Without WatchWorkers, a dead
// worker makes this wait out ctx.
func (q *Queue) WaitFinished(ctx context.Context, n int, poll time.Duration) (Progress, error) {
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		p, err := q.Progress(ctx)
		if err == nil && p.Done() >= int64(n) {
			return p, nil
		}
		if exit := q.exited(); exit != nil {
			if err != nil {
				// Redis going away is the likeliest reason a worker dies
				// mid-run; say both.
				return p, fmt.Errorf("wait for %d jobs on %s: %w (and reading the queue from Redis failed: %v)", n, q.name, exit, err)
			}
			return p, fmt.Errorf("wait for %d jobs on %s (%s): %w", n, q.name, p, exit)
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return p, fmt.Errorf("wait for %d jobs on %s: %w", n, q.name, err)
			}
			return p, fmt.Errorf("wait for %d jobs on %s (%s): %w", n, q.name, p, context.Cause(ctx))
		case <-ticker.C:
		}
	}
}

// exited says how the first watched worker that has exited ended, or
// returns nil while they all run.
func (q *Queue) exited() error {
	if q.workers == nil {
		return nil
	}
	for _, w := range q.workers() {
		if w.Stopped() {
			// A worker the spec stopped itself, to start another, say.
			continue
		}
		if err := w.Exit(); err != nil {
			return err
		}
	}
	return nil
}

// State is where a job is in RQ's lifecycle, as its status field says.
type State string

// The states of RQ 1.13's JobStatus.
const (
	StateQueued    State = "queued"
	StateStarted   State = "started"
	StateFinished  State = "finished"
	StateFailed    State = "failed"
	StateScheduled State = "scheduled"
	StateDeferred  State = "deferred"
	StateStopped   State = "stopped"
	StateCanceled  State = "canceled"
)

// JobStatus is what Redis knows about one job.
type JobStatus struct {
	ID     string
	State  State
	Origin string
	// RetriesLeft is how many more failures the worker will retry; zero
	// also for a job enqueued without retries.
	RetriesLeft int
	// EnqueuedAt, StartedAt and EndedAt are zero until they happen; a
	// retried job keeps the times of its latest run.
	EnqueuedAt, StartedAt, EndedAt time.Time
	// Traceback is the worker's traceback of the final failure, empty
	// unless the job failed for good.
	Traceback string
}

// Exception returns the last line of the traceback, such as
// "ValueError: boom", or "" when the job has not failed.
func (s JobStatus) Exception() string {
	lines := strings.Split(strings.TrimSpace(s.Traceback), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Status reads the job with the given id. It returns an error wrapping
// ErrNoSuchJob when Redis has no such job.
func (q *Queue) Status(ctx context.Context, id string) (JobStatus, error) {
	fields, err := q.rdb.HGetAll(ctx, jobKey(id)).Result()
	if err != nil {
		return JobStatus{}, fmt.Errorf("read job %s: %w", id, err)
	}
	if len(fields) == 0 {
		return JobStatus{}, fmt.Errorf("read job %s: %w", id, ErrNoSuchJob)
	}
	s := JobStatus{ID: id, State: State(fields["status"]), Origin: fields["origin"]}
	if v := fields["retries_left"]; v != "" {
		if s.RetriesLeft, err = strconv.Atoi(v); err != nil {
			return s, fmt.Errorf("read job %s: retries_left %q: %w", id, v, err)
		}
	}
	for name, at := range map[string]*time.Time{"enqueued_at": &s.EnqueuedAt, "started_at": &s.StartedAt, "ended_at": &s.EndedAt} {
		if v := fields[name]; v != "" {
			if *at, err = time.Parse(timestampLayout, v); err != nil {
				return s, fmt.Errorf("read job %s: %s: %w", id, name, err)
			}
		}
	}
	if s.State == StateFailed {
		if s.Traceback, err = q.traceback(ctx, id, fields["exc_info"]); err != nil {
			return s, fmt.Errorf("read traceback of job %s: %w", id, err)
		}
	}
	return s, nil
}

// traceback finds a failed job's traceback. RQ 1.13 keeps it in the job's
// exc_info field only on Redis older than 5; otherwise it is the exc_string
// of the latest entry of the job's results stream.
func (q *Queue) traceback(ctx context.Context, id, excInfo string) (string, error) {
	if excInfo != "" {
		return inflate([]byte(excInfo)), nil
	}
	entries, err := q.rdb.XRevRangeN(ctx, resultsKey(id), "+", "-", 1).Result()
	if err != nil || len(entries) == 0 {
		return "", err
	}
	encoded, _ := entries[0].Values["exc_string"].(string)
	if encoded == "" {
		return "", nil
	}
	compressed, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("decode exc_string: %w", err)
	}
	return inflate(compressed), nil
}

// inflate undoes zlib compression, or returns data as it is when it is not
// compressed, which is RQ's own fallback.
func inflate(data []byte) string {
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return string(data)
	}
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		return string(data)
	}
	return string(out)
}
