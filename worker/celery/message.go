package celery

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/leakspec/leakspec/internal/compactjson"
)

// Task is one task call for a Celery worker to run.
type Task struct {
	// ID names the call; Celery keeps it across retries. A random UUID
	// when empty.
	ID string
	// Name is the name the task is registered under in the worker's app,
	// such as "scenarios.raise_holding" (module and function by default).
	Name string
	// Args and Kwargs are the call's arguments. They travel as JSON, so the
	// task sees JSON's types: numbers, strings, booleans, None, lists and
	// dicts.
	Args   []any
	Kwargs map[string]any
	// Countdown delays the call: the worker holds the message and runs it
	// once Countdown has passed from the moment it was enqueued. ETA does
	// the same with a time; give one or neither.
	Countdown time.Duration
	ETA       time.Time
	// Retries is how many times the call has been retried already; a task
	// that retries compares it with its max_retries.
	Retries int
}

// envelope is the message as kombu's Redis transport stores it in the
// queue list: the task message of Celery's protocol 2, with the body
// encoded as base64 JSON.
type envelope struct {
	Body            string     `json:"body"`
	ContentEncoding string     `json:"content-encoding"`
	ContentType     string     `json:"content-type"`
	Headers         headers    `json:"headers"`
	Properties      properties `json:"properties"`
}

// headers are protocol 2's, as celery.app.amqp.AMQP.as_task_v2 writes them,
// in its order.
type headers struct {
	Lang         string  `json:"lang"`
	Task         string  `json:"task"`
	ID           string  `json:"id"`
	Shadow       *string `json:"shadow"`
	ETA          *string `json:"eta"`
	Expires      *string `json:"expires"`
	Group        *string `json:"group"`
	GroupIndex   *int    `json:"group_index"`
	Retries      int     `json:"retries"`
	TimeLimit    [2]*int `json:"timelimit"`
	RootID       string  `json:"root_id"`
	ParentID     *string `json:"parent_id"`
	ArgsRepr     string  `json:"argsrepr"`
	KwargsRepr   string  `json:"kwargsrepr"`
	Origin       string  `json:"origin"`
	IgnoreResult bool    `json:"ignore_result"`
}

type properties struct {
	CorrelationID string       `json:"correlation_id"`
	ReplyTo       string       `json:"reply_to"`
	DeliveryMode  int          `json:"delivery_mode"`
	DeliveryInfo  deliveryInfo `json:"delivery_info"`
	Priority      int          `json:"priority"`
	BodyEncoding  string       `json:"body_encoding"`
	DeliveryTag   string       `json:"delivery_tag"`
}

type deliveryInfo struct {
	Exchange   string `json:"exchange"`
	RoutingKey string `json:"routing_key"`
}

// embed is the third element of a protocol 2 body: the canvas of the call,
// empty for a plain task.
type embed struct {
	Callbacks any `json:"callbacks"`
	Errbacks  any `json:"errbacks"`
	Chain     any `json:"chain"`
	Chord     any `json:"chord"`
}

// etaLayout is Python's datetime.isoformat() of an aware UTC time; it
// leaves the fraction out when the microseconds are zero.
const (
	etaLayout      = "2006-01-02T15:04:05.000000+00:00"
	etaLayoutWhole = "2006-01-02T15:04:05+00:00"
)

// encode returns the task as the JSON that kombu pushes onto queue, as
// Celery's send_task would write it at now, and the task's id.
func (t Task) encode(queue string, now time.Time) (id string, message []byte, err error) {
	if t.Name == "" {
		return "", nil, errors.New("encode task: the task has no Name; give the name it is registered under, such as \"tasks.add\"")
	}
	if t.Countdown < 0 {
		return "", nil, fmt.Errorf("encode task %s: Countdown %v is negative", t.Name, t.Countdown)
	}
	if t.Countdown > 0 && !t.ETA.IsZero() {
		return "", nil, fmt.Errorf("encode task %s: both Countdown and ETA are set; give one", t.Name)
	}
	id = t.ID
	if id == "" {
		id = uuid.NewString()
	}
	args, kwargs := t.Args, t.Kwargs
	if args == nil {
		args = []any{}
	}
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	argsJSON, err := compactjson.Marshal(args)
	if err != nil {
		return "", nil, fmt.Errorf("encode args of task %s %s: %w", t.Name, id, err)
	}
	kwargsJSON, err := compactjson.Marshal(kwargs)
	if err != nil {
		return "", nil, fmt.Errorf("encode kwargs of task %s %s: %w", t.Name, id, err)
	}
	// as_task_v2 replaces empty args with an empty tuple, which prints
	// as "()"; the body holds an empty list either way.
	argsRepr := "()"
	if len(args) > 0 {
		if argsRepr, err = saferepr(argsJSON, reprMaxSize); err != nil {
			return "", nil, fmt.Errorf("encode task %s %s: %w", t.Name, id, err)
		}
	}
	kwargsRepr, err := saferepr(kwargsJSON, reprMaxSize)
	if err != nil {
		return "", nil, fmt.Errorf("encode task %s %s: %w", t.Name, id, err)
	}
	embedJSON, _ := compactjson.Marshal(embed{}) // a struct of nils always marshals
	body := make([]byte, 0, len(argsJSON)+len(kwargsJSON)+len(embedJSON)+4)
	body = append(body, '[')
	body = append(body, argsJSON...)
	body = append(body, ", "...)
	body = append(body, kwargsJSON...)
	body = append(body, ", "...)
	body = append(body, embedJSON...)
	body = append(body, ']')

	var eta *string
	switch {
	case t.Countdown > 0:
		eta = isoformat(now.Add(t.Countdown))
	case !t.ETA.IsZero():
		eta = isoformat(t.ETA)
	}
	env := envelope{
		Body:            base64.StdEncoding.EncodeToString(body),
		ContentEncoding: "utf-8",
		ContentType:     "application/json",
		Headers: headers{
			Lang:       "py",
			Task:       t.Name,
			ID:         id,
			ETA:        eta,
			Retries:    t.Retries,
			RootID:     id,
			ArgsRepr:   argsRepr,
			KwargsRepr: kwargsRepr,
			Origin:     origin,
		},
		Properties: properties{
			CorrelationID: id,
			// Python's producer names its app's reply queue here, which only
			// the RPC result backend reads; as_task_v2 writes "" without one.
			ReplyTo:      "",
			DeliveryMode: 2, // persistent, kombu's default
			DeliveryInfo: deliveryInfo{Exchange: "", RoutingKey: queue},
			Priority:     0,
			BodyEncoding: "base64",
			DeliveryTag:  uuid.NewString(),
		},
	}
	message, err = compactjson.Marshal(env)
	if err != nil {
		return "", nil, fmt.Errorf("encode task %s %s: %w", t.Name, id, err)
	}
	return id, message, nil
}

func isoformat(t time.Time) *string {
	t = t.UTC().Truncate(time.Microsecond)
	layout := etaLayout
	if t.Nanosecond() == 0 {
		layout = etaLayoutWhole
	}
	s := t.Format(layout)
	return &s
}

// origin is what Celery's anon_nodename() names a producer by,
// "gen<pid>@<hostname>"; the worker logs it with errors.
var origin = func() string {
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	return fmt.Sprintf("gen%d@%s", os.Getpid(), host)
}()
