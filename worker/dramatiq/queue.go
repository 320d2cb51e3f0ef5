package dramatiq

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/leakspec/leakspec/internal/batch"
)

// Namespace prefixes every key of Dramatiq's RedisBroker unless the app
// configures another.
const Namespace = "dramatiq"

// Queue is one named Dramatiq queue in a Redis database, in the default
// namespace.
type Queue struct {
	rdb  *redis.Client
	name string
	// enqueued counts the messages this Queue wrote, for Progress.Done.
	enqueued atomic.Int64
	// now stamps message_timestamp and newID makes Redis message ids;
	// tests pin both.
	now   func() time.Time
	newID func() string
}

// NewQueue returns the queue called name in rdb; an empty name is
// DefaultQueue.
func NewQueue(rdb *redis.Client, name string) *Queue {
	if name == "" {
		name = DefaultQueue
	}
	return &Queue{rdb: rdb, name: name, now: time.Now, newID: uuid.NewString}
}

// Name returns the queue's name, as actors declare it.
func (q *Queue) Name() string { return q.name }

// Enqueue writes the message and puts it at the back of the queue, in one
// transaction, and returns its message id.
func (q *Queue) Enqueue(ctx context.Context, m Message) (string, error) {
	ids, err := q.EnqueueMany(ctx, []Message{m})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// EnqueueMany enqueues messages in order and returns their message ids. It
// encodes every message before it writes any, then pipelines them in
// transactions of up to 500 messages or 8 MiB (batch.RedisTransaction). If
// Redis fails midway, the ids of the messages already enqueued come back
// with the error.
func (q *Queue) EnqueueMany(ctx context.Context, msgs []Message) ([]string, error) {
	now := q.now()
	all := make([]encoded, len(msgs))
	for i, m := range msgs {
		e, err := m.encode(q.name, now, q.newID())
		if err != nil {
			return nil, err
		}
		all[i] = e
	}
	ids := make([]string, 0, len(all))
	size := func(i int) int { return len(all[i].data) }
	for start, end := range batch.Ranges(len(all), batch.RedisTransaction, size) {
		if err := q.push(ctx, all[start:end]); err != nil {
			return ids, fmt.Errorf("enqueue messages %d to %d of %d on %s: %w", start+1, end, len(all), q.name, err)
		}
		q.enqueued.Add(int64(end - start))
		for _, e := range all[start:end] {
			ids = append(ids, e.messageID)
		}
	}
	return ids, nil
}

// push writes messages as the broker's "enqueue" command does, in one
// MULTI: each message's hash entry precedes its id in the list, so a worker
// never pops an id whose message is not stored yet.
func (q *Queue) push(ctx context.Context, msgs []encoded) error {
	_, err := q.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, e := range msgs {
			pipe.HSet(ctx, messagesKey(q.name), e.redisID, e.data)
			pipe.RPush(ctx, queueKey(q.name), e.redisID)
		}
		return nil
	})
	return err
}

// Progress counts a queue's messages by where they are in Dramatiq's
// lifecycle.
type Progress struct {
	// Queued messages wait in the queue's list.
	Queued int64
	// Running messages were fetched by a worker and not yet acked: they
	// run, or wait in the worker's prefetch buffer.
	Running int64
	// Delayed messages wait in the delay queue for their eta, which is
	// where a failed message waits for its retry.
	Delayed int64
	// Dead messages ran out of retries and were dead-lettered.
	Dead int64
	// Done counts the messages this Queue value enqueued that are in none
	// of the queue's hashes any more: they succeeded, since Dramatiq keeps
	// no trace of a message it acked. Messages enqueued by anyone else
	// (another Queue value, the worker itself) make it undercount, never
	// overcount; while a retry is being moved between queues it may lag
	// by one.
	Done int64
}

// Finished returns how many messages have ended, well or not.
func (p Progress) Finished() int64 { return p.Done + p.Dead }

// String reads like "48 done, 1 dead, 1 running, 2 queued, 0 delayed".
func (p Progress) String() string {
	return fmt.Sprintf("%d done, %d dead, %d running, %d queued, %d delayed",
		p.Done, p.Dead, p.Running, p.Queued, p.Delayed)
}

// progressScript reads every count in one atomic step, so that a message
// moving from one key to another is counted once. The acks sets are named
// after the broker ids in the heartbeats set, which only the server can
// list and read in the same step.
var progressScript = redis.NewScript(`
local ns, q = KEYS[1], ARGV[1]
local running = 0
for _, id in ipairs(redis.call("zrange", ns .. ":__heartbeats__", 0, -1)) do
    running = running + redis.call("scard", ns .. ":__acks__." .. id .. "." .. q)
end
return {
    redis.call("llen", ns .. ":" .. q),
    running,
    redis.call("hlen", ns .. ":" .. q .. ".msgs"),
    redis.call("hlen", ns .. ":" .. q .. ".DQ.msgs"),
    redis.call("hlen", ns .. ":" .. q .. ".XQ.msgs"),
}
`)

// Progress reads the queue's counts, in one atomic step.
func (q *Queue) Progress(ctx context.Context) (Progress, error) {
	counts, err := progressScript.Run(ctx, q.rdb, []string{Namespace}, q.name).Int64Slice()
	if err != nil {
		return Progress{}, fmt.Errorf("read progress of %s: %w", q.name, err)
	}
	if len(counts) != 5 {
		return Progress{}, fmt.Errorf("read progress of %s: got %d counts, want 5", q.name, len(counts))
	}
	stored, delayed, dead := counts[2], counts[3], counts[4]
	return Progress{
		Queued:  counts[0],
		Running: counts[1],
		Delayed: delayed,
		Dead:    dead,
		Done:    max(0, q.enqueued.Load()-stored-delayed-dead),
	}, nil
}

// WaitFinished polls Progress every poll (50 ms when zero) until at least n
// messages have finished, done or dead, and returns the last counts. When
// ctx ends first, the error says how far the queue got. Cancel ctx when the
// worker dies, or a dead worker makes this wait out ctx.
func (q *Queue) WaitFinished(ctx context.Context, n int, poll time.Duration) (Progress, error) {
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		p, err := q.Progress(ctx)
		if err == nil && p.Finished() >= int64(n) {
			return p, nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return p, fmt.Errorf("wait for %d messages on %s: %w", n, q.name, err)
			}
			return p, fmt.Errorf("wait for %d messages on %s (%s): %w", n, q.name, p, context.Cause(ctx))
		case <-ticker.C:
		}
	}
}

// Keys of the RedisBroker's layout for a queue; the scripts build the
// others the same way.
func queueKey(q string) string    { return Namespace + ":" + q }
func messagesKey(q string) string { return queueKey(q) + ".msgs" }
