package dramatiq

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/leakspec/leakspec/internal/compactjson"
)

// DefaultQueue is the queue Dramatiq's actors use when they name none, and
// the one NewQueue uses for an empty name.
const DefaultQueue = "default"

// Message is one call of an actor, as a producer sends it.
type Message struct {
	// ID is the message's message_id, which stays the same across its
	// retries; a random UUID when empty.
	ID string
	// Actor is the actor's name, usually its Python function's name.
	Actor string
	// Args and Kwargs are the call's arguments. They travel as JSON, so
	// the actor sees JSON's types: numbers, strings, booleans, None, lists
	// and dicts.
	Args   []any
	Kwargs map[string]any
	// Options are the per-message settings that override the actor's.
	Options Options
}

// Options are the per-message overrides the worker honours. A zero field is
// left out of the message, so the actor's own setting applies.
type Options struct {
	// MaxRetries is how often the message is retried after a failure
	// before it is dead-lettered: 0 fails it at the first error. Nil
	// keeps the actor's (20 by default). Write new(1_000_000) for
	// "effectively unlimited".
	MaxRetries *int
	// MinBackoff and MaxBackoff bound the wait before a retry: Dramatiq
	// waits MinBackoff·2^retries, with jitter, capped at MaxBackoff.
	// Dramatiq counts whole milliseconds.
	MinBackoff, MaxBackoff time.Duration
	// TimeLimit is how long one attempt may run before the worker
	// interrupts it; whole milliseconds.
	TimeLimit time.Duration
	// MaxAge drops the message unprocessed once it is older than this;
	// whole milliseconds.
	MaxAge time.Duration
}

// wireMessage is Dramatiq's message, field for field and in Dramatiq's
// order. The worker builds its Message dataclass from exactly these seven
// keys: one more makes it fail to decode the message.
type wireMessage struct {
	QueueName        string         `json:"queue_name"`
	ActorName        string         `json:"actor_name"`
	Args             []any          `json:"args"`
	Kwargs           map[string]any `json:"kwargs"`
	Options          wireOptions    `json:"options"`
	MessageID        string         `json:"message_id"`
	MessageTimestamp int64          `json:"message_timestamp"`
}

// wireOptions holds the options Message can set, in milliseconds, and the
// redis_message_id that RedisBroker adds to every message it enqueues.
type wireOptions struct {
	MaxRetries     *int   `json:"max_retries,omitempty"`
	MinBackoff     int64  `json:"min_backoff,omitempty"`
	MaxBackoff     int64  `json:"max_backoff,omitempty"`
	TimeLimit      int64  `json:"time_limit,omitempty"`
	MaxAge         int64  `json:"max_age,omitempty"`
	RedisMessageID string `json:"redis_message_id"`
}

// encoded is a message ready to be written: its ids and its JSON.
type encoded struct {
	messageID string
	redisID   string
	data      []byte
}

// encode checks m and returns it as the RedisBroker of Dramatiq writes it
// on queue, stamped at now, with the given Redis id.
func (m Message) encode(queue string, now time.Time, redisID string) (encoded, error) {
	if m.Actor == "" {
		return encoded{}, errors.New("encode message: the actor's name is empty")
	}
	if m.Options.MaxRetries != nil && *m.Options.MaxRetries < 0 {
		return encoded{}, fmt.Errorf("encode message for %s: MaxRetries %d is negative; 0 fails the message at its first error", m.Actor, *m.Options.MaxRetries)
	}
	opts := wireOptions{MaxRetries: m.Options.MaxRetries, RedisMessageID: redisID}
	for _, d := range []struct {
		name  string
		value time.Duration
		ms    *int64
	}{
		{"MinBackoff", m.Options.MinBackoff, &opts.MinBackoff},
		{"MaxBackoff", m.Options.MaxBackoff, &opts.MaxBackoff},
		{"TimeLimit", m.Options.TimeLimit, &opts.TimeLimit},
		{"MaxAge", m.Options.MaxAge, &opts.MaxAge},
	} {
		if d.value < 0 || d.value%time.Millisecond != 0 {
			return encoded{}, fmt.Errorf("encode message for %s: %s %s is not a whole, positive number of milliseconds, which Dramatiq counts in", m.Actor, d.name, d.value)
		}
		*d.ms = d.value.Milliseconds()
	}
	id := m.ID
	if id == "" {
		id = uuid.NewString()
	}
	args, kwargs := m.Args, m.Kwargs
	if args == nil {
		args = []any{}
	}
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	data, err := compactjson.Marshal(wireMessage{
		QueueName:        queue,
		ActorName:        m.Actor,
		Args:             args,
		Kwargs:           kwargs,
		Options:          opts,
		MessageID:        id,
		MessageTimestamp: now.UnixMilli(),
	})
	if err != nil {
		return encoded{}, fmt.Errorf("encode message for %s: %w", m.Actor, err)
	}
	return encoded{messageID: id, redisID: redisID, data: data}, nil
}
