package celery

import (
	"context"
	"fmt"
	"regexp"
	"sync"
)

// The names of the events a Monitor records.
const (
	EventRetry     = "retry"
	EventSucceeded = "succeeded"
	EventFailed    = "failed"
	EventWarning   = "warning"
)

// outcomeLine matches the lines Celery 5.2's tracer logs for each task run
// (celery.app.trace: LOG_RECEIVED, LOG_SUCCESS, LOG_RETRY, LOG_FAILURE),
// whatever the log format puts before them, such as
// "[...: INFO/ForkPoolWorker-1] Task scenarios.hold[0b6c...] succeeded in 0.5s: 134217728".
var outcomeLine = regexp.MustCompile(`\bTask (\S+?)\[([^\]\s]+)\] (received|succeeded in|retry:|raised expected:|raised unexpected:|INTERNAL ERROR:)(.*)$`)

// lostLine matches what the prefork pool's parent logs when a child died
// while it ran a task (killed, out of memory): the task's only outcome.
var lostLine = regexp.MustCompile(`Task handler raised error: (WorkerLostError.*)$`)

// maxDetail bounds the detail of an event: a task's return value or
// exception can be long, and the event only has to say which it was.
const maxDetail = 200

// Counts are the task runs a worker has logged, by outcome.
type Counts struct {
	// Received counts messages the worker took, a retry's included.
	Received int
	// Succeeded and Failed count runs that ended the task: it returned,
	// or it raised and was not retried (expected or unexpected exception,
	// internal error, or its pool child died under it).
	Succeeded int
	Failed    int
	// Retried counts runs that ended in a retry: the task raised Retry
	// (autoretry_for or self.retry), and a new message with the same id
	// will run it again.
	Retried int
}

// Done returns how many tasks have ended, well or not.
func (c Counts) Done() int { return c.Succeeded + c.Failed }

// String reads like "12 received, 3 succeeded, 1 failed, 8 retried".
func (c Counts) String() string {
	return fmt.Sprintf("%d received, %d succeeded, %d failed, %d retried", c.Received, c.Succeeded, c.Failed, c.Retried)
}

// EventRecorder takes events; *worker.Recorder is one.
type EventRecorder interface {
	Event(name, detail string)
}

// Monitor follows a worker through its log: it counts task outcomes from
// the lines Celery logs at INFO level, and turns retries, successes and
// failures into events. Celery without a result backend leaves nothing in
// Redis once a message is acknowledged, so the log is where a task's end
// shows. Safe for concurrent use.
type Monitor struct {
	mu       sync.Mutex
	counts   Counts
	recorder EventRecorder
	warnings []string
	// changed is closed and replaced whenever counts change, waking
	// every WaitFor.
	changed chan struct{}
	// ended is closed when the worker ended without being stopped; endErr
	// says how.
	ended  chan struct{}
	endErr error
}

// NewMonitor returns a Monitor with no counts. Its warnings become
// "warning" events on the first recorder it is given.
func NewMonitor(warnings ...string) *Monitor {
	return &Monitor{warnings: warnings, changed: make(chan struct{}), ended: make(chan struct{})}
}

// WorkerEnded tells the Monitor that its worker ended on its own, as err
// says: every wait ends at once with err, since no task will end after it.
// Start calls it for the worker it starts; a spec that gives its own
// Monitor to a worker calls it when that worker exits. Calls after the
// first are ignored.
func (m *Monitor) WorkerEnded(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.ended:
		return
	default:
	}
	m.endErr = err
	close(m.ended)
}

// Line reads one line of the worker's output; give it to the worker as
// worker.Command.OnLine.
func (m *Monitor) Line(line string) {
	event, detail := "", ""
	if match := outcomeLine.FindStringSubmatch(line); match != nil {
		// The detail is the log message itself, such as
		// "tasks.add[<id>] retry: Retry in 0.2s: RuntimeError('boom')".
		detail = match[1] + "[" + match[2] + "] " + match[3] + match[4]
		m.mu.Lock()
		switch match[3] {
		case "received":
			m.counts.Received++
		case "succeeded in":
			m.counts.Succeeded++
			event = EventSucceeded
		case "retry:":
			m.counts.Retried++
			event = EventRetry
		default:
			m.counts.Failed++
			event = EventFailed
		}
	} else if match := lostLine.FindStringSubmatch(line); match != nil {
		m.mu.Lock()
		m.counts.Failed++
		event, detail = EventFailed, match[1]
	} else {
		return
	}
	recorder := m.recorder
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
	if recorder != nil && event != "" {
		recorder.Event(event, shorten(detail))
	}
}

// RecordTo sends the Monitor's events to r from now on, its warnings
// first. Task outcomes logged before are counted but not recorded.
func (m *Monitor) RecordTo(r EventRecorder) {
	m.mu.Lock()
	m.recorder = r
	warnings := m.warnings
	m.mu.Unlock()
	for _, w := range warnings {
		r.Event(EventWarning, w)
	}
}

// Warnings returns the warnings the Monitor was made with.
func (m *Monitor) Warnings() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.warnings...)
}

// Counts returns the outcomes logged so far.
func (m *Monitor) Counts() Counts {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts
}

// WaitDone waits until at least n tasks have ended, succeeded or failed,
// and returns the counts. When ctx ends first, or the worker ends first
// (see WorkerEnded), the error says how far the worker got and why the
// wait stopped.
func (m *Monitor) WaitDone(ctx context.Context, n int) (Counts, error) {
	return m.WaitFor(ctx, fmt.Sprintf("%d tasks to end", n), func(c Counts) bool { return c.Done() >= n })
}

// WaitFor waits until done holds for the counts, and returns them. what
// says what is awaited, for the error when ctx ends first, such as
// "20 retries".
func (m *Monitor) WaitFor(ctx context.Context, what string, done func(Counts) bool) (Counts, error) {
	for {
		m.mu.Lock()
		counts, changed := m.counts, m.changed
		m.mu.Unlock()
		if done(counts) {
			return counts, nil
		}
		select {
		case <-ctx.Done():
			return counts, fmt.Errorf("wait for %s (%s): %w", what, counts, context.Cause(ctx))
		case <-m.ended:
			// The worker's last lines are read before its end is told:
			// count them once more.
			m.mu.Lock()
			counts, err := m.counts, m.endErr
			m.mu.Unlock()
			if done(counts) {
				return counts, nil
			}
			return counts, fmt.Errorf("wait for %s (%s): %w", what, counts, err)
		case <-changed:
		}
	}
}

func shorten(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	cut := maxDetail
	for cut > 0 && s[cut]&0xc0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "..."
}
