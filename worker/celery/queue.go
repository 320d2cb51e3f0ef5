package celery

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/batch"
)

// DefaultQueue is the queue Celery's worker consumes and its producer
// sends to when none is named (task_default_queue).
const DefaultQueue = "celery"

// The keys of kombu's Redis transport besides the queue lists.
const (
	// unackedKey is a hash, delivery tag -> [message, exchange, routing
	// key], of the messages the worker has taken but not acknowledged:
	// prefetched ones, running ones, and those it holds until their ETA,
	// such as retries waiting out their countdown.
	unackedKey = "unacked"
	// unackedIndexKey is a sorted set of the same delivery tags, scored
	// by when they were taken.
	unackedIndexKey = "unacked_index"
	// bindingPrefix names the set of a queue's bindings, which the
	// producer declares with the queue: "<routing key>␆␖<pattern>␆␖<queue>".
	bindingPrefix = "_kombu.binding."
	// sep is kombu's separator in binding entries.
	sep = "\x06\x16"
)

// Queue is one named Celery queue on a Redis broker.
type Queue struct {
	rdb  *redis.Client
	name string
	// now stamps ETAs computed from a Countdown; tests pin it.
	now func() time.Time
}

// NewQueue returns the queue called name on the broker rdb; an empty name
// is DefaultQueue.
func NewQueue(rdb *redis.Client, name string) *Queue {
	if name == "" {
		name = DefaultQueue
	}
	return &Queue{rdb: rdb, name: name, now: time.Now}
}

// Name returns the queue's name, as a worker is told to consume it (-Q).
func (q *Queue) Name() string { return q.name }

// Enqueue sends the task to the queue and returns its id.
func (q *Queue) Enqueue(ctx context.Context, task Task) (string, error) {
	ids, err := q.EnqueueMany(ctx, []Task{task})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// EnqueueMany sends tasks in order and returns their ids. It encodes every
// task before it sends any, then sends them in transactions of up to 500
// tasks or 8 MiB (batch.RedisTransaction). If Redis fails midway, the ids
// already sent come back with the error.
func (q *Queue) EnqueueMany(ctx context.Context, tasks []Task) ([]string, error) {
	now := q.now()
	ids := make([]string, len(tasks))
	messages := make([][]byte, len(tasks))
	for i, t := range tasks {
		id, message, err := t.encode(q.name, now)
		if err != nil {
			return nil, err
		}
		ids[i], messages[i] = id, message
	}
	size := func(i int) int { return len(messages[i]) }
	for start, end := range batch.Ranges(len(messages), batch.RedisTransaction, size) {
		if err := q.push(ctx, messages[start:end]); err != nil {
			return ids[:start], fmt.Errorf("enqueue tasks %d to %d of %d on %s: %w", start+1, end, len(tasks), q.name, err)
		}
	}
	return ids, nil
}

// push sends messages as kombu's producer publishes them, in one MULTI.
func (q *Queue) push(ctx context.Context, messages [][]byte) error {
	_, err := q.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		// Python's producer declares the queue as it publishes: the
		// binding of the queue to the default exchange.
		pipe.SAdd(ctx, bindingPrefix+q.name, q.name+sep+sep+q.name)
		for _, m := range messages {
			// kombu pushes on the left and the worker pops on the
			// right (BRPOP): first in, first out.
			pipe.LPush(ctx, q.name, m)
		}
		return nil
	})
	return err
}

// Progress is what Redis shows of a queue's messages.
type Progress struct {
	// Queued messages wait in the queue list for a worker to take them.
	Queued int64
	// Unacked messages of this queue are taken by a worker and not yet
	// acknowledged: prefetched, running, or held until their ETA.
	Unacked int64
	// Retrying counts the unacked messages that are retries (their
	// retries header is above zero): a task that called retry() published
	// them with a countdown, and the worker holds them until it passes.
	Retrying int64
}

// String reads like "2 queued, 3 unacked (1 retrying)".
func (p Progress) String() string {
	return fmt.Sprintf("%d queued, %d unacked (%d retrying)", p.Queued, p.Unacked, p.Retrying)
}

// Progress reads the queue's counts from Redis. A message the worker has
// acknowledged is gone from Redis: without a result backend, nothing there
// says a task finished; Monitor reads that from the worker's log.
func (q *Queue) Progress(ctx context.Context) (Progress, error) {
	var queued *redis.IntCmd
	var unacked *redis.MapStringStringCmd
	_, err := q.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		queued = pipe.LLen(ctx, q.name)
		unacked = pipe.HGetAll(ctx, unackedKey)
		return nil
	})
	if err != nil {
		return Progress{}, fmt.Errorf("read progress of %s: %w", q.name, err)
	}
	p := Progress{Queued: queued.Val()}
	for tag, entry := range unacked.Val() {
		var fields []json.RawMessage
		if err := json.Unmarshal([]byte(entry), &fields); err != nil || len(fields) != 3 {
			return p, fmt.Errorf("read progress of %s: unacked message %s is not [message, exchange, routing key]: %.200s", q.name, tag, entry)
		}
		var routingKey string
		if err := json.Unmarshal(fields[2], &routingKey); err != nil || routingKey != q.name {
			continue // another queue's
		}
		var message envelopeHeaders
		if err := json.Unmarshal(fields[0], &message); err != nil {
			return p, fmt.Errorf("read progress of %s: unacked message %s: %w", q.name, tag, err)
		}
		p.Unacked++
		if message.Headers.Retries > 0 {
			p.Retrying++
		}
	}
	return p, nil
}

// envelopeHeaders is the part of a stored message that Progress reads.
type envelopeHeaders struct {
	Headers struct {
		ID      string `json:"id"`
		Task    string `json:"task"`
		Retries int    `json:"retries"`
	} `json:"headers"`
}
