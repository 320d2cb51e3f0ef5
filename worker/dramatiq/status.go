package dramatiq

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// State is where a message is in Dramatiq's lifecycle.
type State string

// The states Status tells apart.
const (
	// StateQueued: in the queue's list, not fetched yet.
	StateQueued State = "queued"
	// StateRunning: fetched by a worker and not acked yet; it runs, or
	// waits in the worker's prefetch buffer.
	StateRunning State = "running"
	// StateDelayed: in the delay queue, waiting for its eta; a message
	// whose Retries is above zero waits there for its next attempt.
	StateDelayed State = "delayed"
	// StateDead: dead-lettered, after its last allowed retry failed.
	StateDead State = "dead"
	// StateDone: in none of the queue's hashes. Dramatiq deletes a
	// message it acks, so this is how success looks, and also how a
	// message looks that was never enqueued on this queue.
	StateDone State = "done"
)

// MessageStatus is what Redis knows about one message.
type MessageStatus struct {
	// MessageID is the id Status was asked about.
	MessageID string
	State     State
	// RedisID is the id of the message's current copy: it changes every
	// time the message moves between the queue and the delay queue.
	// Empty when the message is done.
	RedisID string
	// Retries is how many of the message's attempts have failed so far.
	Retries int
	// ETA is when a delayed message is due; zero otherwise.
	ETA time.Time
	// Traceback is the traceback of the latest failure, as the Retries
	// middleware stored it; empty when the message never failed.
	Traceback string
}

// statusScript finds, on the server, the copies of one message in the
// queue's three hashes, and whether a worker holds the queued copy. It
// scans the hashes with HSCAN, so its cost grows with the total size of the
// stored messages, but only the matches travel.
var statusScript = redis.NewScript(`
local ns, q, needle = KEYS[1], ARGV[1], ARGV[2]
local found = {}
local function search(where, key)
    local cursor = "0"
    repeat
        local page = redis.call("hscan", key, cursor, "COUNT", 500)
        cursor = page[1]
        local kv = page[2]
        for i = 1, #kv, 2 do
            if string.find(kv[i + 1], needle, 1, true) then
                table.insert(found, {where, kv[i], kv[i + 1]})
            end
        end
    until cursor == "0"
end
search("queue", ns .. ":" .. q .. ".msgs")
search("delay", ns .. ":" .. q .. ".DQ.msgs")
search("dead", ns .. ":" .. q .. ".XQ.msgs")
local brokers = redis.call("zrange", ns .. ":__heartbeats__", 0, -1)
local out = {}
for _, f in ipairs(found) do
    local held = 0
    if f[1] == "queue" then
        for _, id in ipairs(brokers) do
            held = held + redis.call("sismember", ns .. ":__acks__." .. id .. "." .. q, f[2])
        end
    end
    table.insert(out, f[1])
    table.insert(out, f[2])
    table.insert(out, f[3])
    table.insert(out, held)
end
return out
`)

// copyOf is one stored copy of a message, as statusScript found it.
type copyOf struct {
	where   string // "queue", "delay" or "dead"
	redisID string
	held    bool // a worker fetched it and has not acked it
	msg     storedMessage
}

// storedMessage is the part of a stored message that Status reads.
type storedMessage struct {
	MessageID string `json:"message_id"`
	Options   struct {
		Retries   int      `json:"retries"`
		ETA       *float64 `json:"eta"`
		Traceback string   `json:"traceback"`
	} `json:"options"`
}

// Status tells where the message with the given message id is. While a
// retry moves a message between the queue and the delay queue, Redis holds
// two copies for a moment; Status reports the newer one. It scans the
// queue's hashes on the server, which costs time in proportion to what they
// hold: poll it for a few small messages, and use Progress for many.
func (q *Queue) Status(ctx context.Context, messageID string) (MessageStatus, error) {
	needle, err := json.Marshal(messageID)
	if err != nil {
		return MessageStatus{}, fmt.Errorf("read message %s: %w", messageID, err)
	}
	reply, err := statusScript.Run(ctx, q.rdb, []string{Namespace}, q.name, `"message_id":`+string(needle)).Slice()
	if err != nil {
		return MessageStatus{}, fmt.Errorf("read message %s: %w", messageID, err)
	}
	var copies []copyOf
	for i := 0; i+3 < len(reply); i += 4 {
		where, _ := reply[i].(string)
		redisID, _ := reply[i+1].(string)
		data, _ := reply[i+2].(string)
		held, _ := reply[i+3].(int64)
		c := copyOf{where: where, redisID: redisID, held: held > 0}
		if err := json.Unmarshal([]byte(data), &c.msg); err != nil {
			return MessageStatus{}, fmt.Errorf("read message %s: decode %s copy %s: %w", messageID, where, redisID, err)
		}
		// The needle may also occur inside another message's arguments.
		if c.msg.MessageID == messageID {
			copies = append(copies, c)
		}
	}
	return statusOf(messageID, copies), nil
}

// statusOf picks the copy that tells the message's state: a dead letter is
// final; otherwise the copy with the most retries is the newer one, and of
// two with as many, the queue's, which the delay queue hands on.
func statusOf(messageID string, copies []copyOf) MessageStatus {
	s := MessageStatus{MessageID: messageID, State: StateDone}
	var best *copyOf
	for i := range copies {
		c := &copies[i]
		switch {
		case best == nil,
			c.where == "dead" && best.where != "dead",
			best.where != "dead" && c.msg.Options.Retries > best.msg.Options.Retries,
			best.where == "delay" && c.where == "queue" && c.msg.Options.Retries == best.msg.Options.Retries:
			best = c
		}
	}
	if best == nil {
		return s
	}
	s.RedisID = best.redisID
	s.Retries = best.msg.Options.Retries
	s.Traceback = best.msg.Options.Traceback
	switch best.where {
	case "dead":
		s.State = StateDead
	case "delay":
		s.State = StateDelayed
		if eta := best.msg.Options.ETA; eta != nil {
			s.ETA = time.UnixMilli(int64(*eta))
		}
	default:
		s.State = StateQueued
		if best.held {
			s.State = StateRunning
		}
	}
	return s
}
