package celery

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func decode(t *testing.T, message []byte) (envelope, []any) {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(message, &env); err != nil {
		t.Fatalf("message is not an envelope: %v\n%s", err, message)
	}
	raw, err := base64.StdEncoding.DecodeString(env.Body)
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	var body []any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, raw)
	}
	return env, body
}

func TestEncode(t *testing.T) {
	now := time.Date(2026, 11, 27, 2, 30, 0, 123456789, time.FixedZone("CET", 3600))
	id, message, err := Task{Name: "tasks.add", Args: []any{1, "<b>"}, Kwargs: map[string]any{"k": nil}, Countdown: 90 * time.Second, Retries: 2}.encode("q", now)
	if err != nil {
		t.Fatal(err)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(id) {
		t.Errorf("id = %q, want a random UUID", id)
	}
	if strings.Contains(string(message), `\u003c`) {
		t.Errorf("the message escapes HTML, which only hinders reading logs: %s", message)
	}
	env, body := decode(t, message)
	h, p := env.Headers, env.Properties
	if h.Task != "tasks.add" || h.ID != id || h.RootID != id || p.CorrelationID != id || h.Retries != 2 {
		t.Errorf("headers = %+v, properties = %+v: want the task's name, id and retries", h, p)
	}
	if h.ETA == nil || *h.ETA != "2026-11-27T01:31:30.123456+00:00" {
		t.Errorf("eta = %v, want now + 90 s in UTC, to the microsecond", h.ETA)
	}
	if h.ArgsRepr != "[1, '<b>']" || h.KwargsRepr != "{'k': None}" {
		t.Errorf("argsrepr %q, kwargsrepr %q", h.ArgsRepr, h.KwargsRepr)
	}
	if p.DeliveryInfo.RoutingKey != "q" || p.DeliveryInfo.Exchange != "" || !uuid.MatchString(p.DeliveryTag) || p.DeliveryTag == id {
		t.Errorf("properties = %+v: want the queue as routing key on the default exchange and a delivery tag of its own", p)
	}
	want := []any{[]any{1.0, "<b>"}, map[string]any{"k": nil}, map[string]any{"callbacks": nil, "errbacks": nil, "chain": nil, "chord": nil}}
	if b, _ := json.Marshal(body); string(b) != mustJSON(want) {
		t.Errorf("body = %s, want %s", b, mustJSON(want))
	}
}

func TestEncodeDefaults(t *testing.T) {
	id, message, err := Task{ID: "mine", Name: "tasks.boom", ETA: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}.encode("celery", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	env, body := decode(t, message)
	if id != "mine" || env.Headers.ID != "mine" {
		t.Errorf("id = %q, want the one given", id)
	}
	if env.Headers.ETA == nil || *env.Headers.ETA != "2030-01-02T03:04:05+00:00" {
		t.Errorf("eta = %v, want isoformat without a fraction for a whole second", env.Headers.ETA)
	}
	if env.Headers.ArgsRepr != "()" || env.Headers.KwargsRepr != "{}" || mustJSON(body[:2]) != `[[],{}]` {
		t.Errorf("no arguments gave argsrepr %q, kwargsrepr %q, body %v; want (), {} and empty containers", env.Headers.ArgsRepr, env.Headers.KwargsRepr, body)
	}
	_, message, _ = Task{Name: "tasks.add"}.encode("celery", time.Now())
	if env, _ := decode(t, message); env.Headers.ETA != nil {
		t.Errorf("eta = %q, want null without a countdown", *env.Headers.ETA)
	}
}

func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		task Task
		want string
	}{
		{Task{}, "the task has no Name"},
		{Task{Name: "t", Countdown: -time.Second}, "Countdown -1s is negative"},
		{Task{Name: "t", Countdown: time.Second, ETA: time.Now()}, "both Countdown and ETA are set"},
		{Task{Name: "t", Args: []any{func() {}}}, "encode args of task t"},
		{Task{Name: "t", Kwargs: map[string]any{"c": make(chan int)}}, "encode kwargs of task t"},
	}
	for _, tt := range tests {
		if _, _, err := tt.task.encode("q", time.Now()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("encode(%+v) error = %v, want one containing %q", tt.task, err, tt.want)
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
