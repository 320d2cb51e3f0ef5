package asynq

import (
	"context"
	"fmt"
	"slices"
	"time"

	hibiken "github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/worker"
)

// DefaultQueue is the queue an asynq server takes tasks from when it is
// given none, and the queue of NewQueue("").
const DefaultQueue = "default"

// Task is a task to enqueue.
type Task struct {
	// Type names the handler that runs it.
	Type string
	// Payload is handed to the handler as it is.
	Payload []byte
	// MaxRetry is how often a failing task is retried: zero means never
	// (asynq's own default, when the option is left out, is 25).
	MaxRetry int
	// Timeout bounds one attempt; zero leaves asynq's default of 30 min.
	Timeout time.Duration
}

// Queue is one asynq queue in a Redis database.
type Queue struct {
	name      string
	client    *hibiken.Client
	inspector *hibiken.Inspector
}

// NewQueue returns the queue called name in rdb; "" is DefaultQueue. The
// queue shares rdb's connections and never closes them.
func NewQueue(rdb redis.UniversalClient, name string) *Queue {
	if name == "" {
		name = DefaultQueue
	}
	return &Queue{
		name:      name,
		client:    hibiken.NewClientFromRedisClient(rdb),
		inspector: hibiken.NewInspectorFromRedisClient(rdb),
	}
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.name }

// Enqueue puts the task on the queue and returns its id.
func (q *Queue) Enqueue(ctx context.Context, t Task) (string, error) {
	opts := []hibiken.Option{hibiken.Queue(q.name), hibiken.MaxRetry(t.MaxRetry)}
	if t.Timeout > 0 {
		opts = append(opts, hibiken.Timeout(t.Timeout))
	}
	info, err := q.client.EnqueueContext(ctx, hibiken.NewTask(t.Type, t.Payload), opts...)
	if err != nil {
		return "", fmt.Errorf("enqueue %s task on %s: %w", t.Type, q.name, err)
	}
	return info.ID, nil
}

// Progress is what asynq's inspector counts on a queue.
type Progress struct {
	// Where the queue's tasks are now: waiting to run, running, waiting
	// for their time, waiting for a retry, dead after their last retry,
	// kept after success (only with a retention).
	Pending, Active, Scheduled, Retry, Archived, Completed int
	// Processed counts attempts that ended, successful or not, and Failed
	// the attempts that failed, since the queue began.
	Processed, Failed int
}

// Done reports whether every task has ended: none waits or runs.
func (p Progress) Done() bool {
	return p.Pending+p.Active+p.Scheduled+p.Retry == 0
}

func (p Progress) String() string {
	return fmt.Sprintf("%d pending, %d active, %d scheduled, %d waiting to retry, %d archived; %d attempts ended, %d of them failed",
		p.Pending, p.Active, p.Scheduled, p.Retry, p.Archived, p.Processed, p.Failed)
}

// Progress returns the queue's counts now; all zero before the first task
// is enqueued.
func (q *Queue) Progress(ctx context.Context) (Progress, error) {
	if err := ctx.Err(); err != nil {
		return Progress{}, fmt.Errorf("inspect queue %s: %w", q.name, context.Cause(ctx))
	}
	// The inspector reports a queue that was never used as an error of
	// an internal type; asking first keeps that apart from a real failure.
	queues, err := q.inspector.Queues()
	if err != nil {
		return Progress{}, fmt.Errorf("inspect queue %s: %w", q.name, err)
	}
	if !slices.Contains(queues, q.name) {
		return Progress{}, nil
	}
	info, err := q.inspector.GetQueueInfo(q.name)
	if err != nil {
		return Progress{}, fmt.Errorf("inspect queue %s: %w", q.name, err)
	}
	return Progress{
		Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled,
		Retry: info.Retry, Archived: info.Archived, Completed: info.Completed,
		Processed: info.ProcessedTotal, Failed: info.FailedTotal,
	}, nil
}

// Wait says how WaitDone watches a queue.
type Wait struct {
	// Poll is how often the inspector is asked; 50 ms when zero.
	Poll time.Duration
	// Worker, when set, ends the wait as soon as it exits, with how it
	// ended, rather than wait out ctx for tasks nobody will run.
	Worker *worker.Process
	// Events, when set, receives an event each time attempts end:
	// "failed" for failed attempts, "processed" for successful ones, with
	// the counts so far as the detail.
	Events *worker.Recorder
}

// WaitDone polls the queue until every task on it has ended (Progress.Done)
// and at least one attempt has, and returns the last counts. When ctx ends
// or the worker exits first, the error says how far the queue got.
func (q *Queue) WaitDone(ctx context.Context, w Wait) (Progress, error) {
	poll := w.Poll
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	var exited <-chan struct{}
	if w.Worker != nil {
		exited = w.Worker.Done()
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	var last Progress
	for {
		p, err := q.Progress(ctx)
		if err == nil {
			noteAttempts(w.Events, last, p)
			last = p
			if p.Done() && p.Processed > 0 {
				return p, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("wait for the tasks on %s (%s): %w", q.name, last, context.Cause(ctx))
		case <-exited:
			return last, fmt.Errorf("wait for the tasks on %s (%s): %w", q.name, last, exitReason(w.Worker))
		case <-ticker.C:
		}
	}
}

// exitReason says how a worker that was not asked to stop ended.
func exitReason(p *worker.Process) error {
	if err := p.Err(); err != nil {
		return err
	}
	return fmt.Errorf("the worker exited")
}

// noteAttempts records the attempts that ended between two counts.
func noteAttempts(rec *worker.Recorder, before, now Progress) {
	if rec == nil {
		return
	}
	succeeded := (now.Processed - now.Failed) - (before.Processed - before.Failed)
	if now.Failed > before.Failed {
		rec.Event("failed", fmt.Sprintf("%d attempts failed so far", now.Failed))
	}
	if succeeded > 0 {
		rec.Event("processed", fmt.Sprintf("%d attempts succeeded so far", now.Processed-now.Failed))
	}
}
