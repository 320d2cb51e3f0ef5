package celery

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Lines as Celery 5.2 logs them, from real solo and prefork workers.
var logLines = []string{
	"[2026-11-27 02:43:32,545: INFO/MainProcess] celery@vm ready.",
	"[2026-11-27 02:43:19,093: INFO/MainProcess] Task tasks.add[8f8fcf85-4fe0-4c73-8a85-221639eb0c27] received",
	"[2026-11-27 02:43:19,098: INFO/ForkPoolWorker-2] Task tasks.add[8f8fcf85-4fe0-4c73-8a85-221639eb0c27] succeeded in 3.782600015256321e-05s: 15",
	"[2026-11-27 02:44:12,078: INFO/MainProcess] Task tasks.retry_twice[43d83910-5439-483a-a283-bea074bab2dc] received",
	"[2026-11-27 02:44:12,096: INFO/MainProcess] Task tasks.retry_twice[43d83910-5439-483a-a283-bea074bab2dc] retry: Retry in 0.2s: RuntimeError('failed on purpose')",
	"[2026-11-27 02:44:12,098: INFO/MainProcess] Task tasks.retry_twice[43d83910-5439-483a-a283-bea074bab2dc] received",
	"[2026-11-27 02:43:19,104: ERROR/ForkPoolWorker-2] Task tasks.boom[057e4878-b477-4b41-bf4c-33058a742e08] raised unexpected: ExceptionWithTraceback()",
	"Traceback (most recent call last):",
	`  File "/work/tasks.py", line 20, in boom`,
	"ValueError: boom",
	"[2026-11-27 02:45:05,563: ERROR/MainProcess] Task handler raised error: WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL) Job: 2.')",
	"[2026-11-27 02:45:05,563: WARNING/MainProcess] Restoring 1 unacknowledged message(s)",
	"worker: Warm shutdown (MainProcess)",
}

func TestMonitorCountsOutcomesAndRecordsEvents(t *testing.T) {
	m := NewMonitor("The worker runs with --max-tasks-per-child 5, which ...")
	m.Line(logLines[1]) // before RecordTo: counted, not recorded
	events := &eventLog{}
	m.RecordTo(events)
	for _, line := range logLines[2:] {
		m.Line(line)
	}

	if want := (Counts{Received: 3, Succeeded: 1, Failed: 2, Retried: 1}); m.Counts() != want {
		t.Errorf("Counts = %s, want %s", m.Counts(), want)
	}
	want := [][2]string{
		{EventWarning, "The worker runs with --max-tasks-per-child 5, which ..."},
		{EventSucceeded, "tasks.add[8f8fcf85-4fe0-4c73-8a85-221639eb0c27] succeeded in 3.782600015256321e-05s: 15"},
		{EventRetry, "tasks.retry_twice[43d83910-5439-483a-a283-bea074bab2dc] retry: Retry in 0.2s: RuntimeError('failed on purpose')"},
		{EventFailed, "tasks.boom[057e4878-b477-4b41-bf4c-33058a742e08] raised unexpected: ExceptionWithTraceback()"},
		{EventFailed, "WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL) Job: 2.')"},
	}
	got := events.all()
	if len(got) != len(want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestMonitorShortensLongDetails(t *testing.T) {
	m := NewMonitor()
	events := &eventLog{}
	m.RecordTo(events)
	m.Line("[...: INFO/MainProcess] Task t.big[1] succeeded in 0.1s: '" + strings.Repeat("é", 500) + "'")
	details := events.details(EventSucceeded)
	if len(details) != 1 || len(details[0]) > maxDetail+3 || !strings.HasSuffix(details[0], "...") || !strings.HasPrefix(details[0], "t.big[1] succeeded in 0.1s: 'é") {
		t.Errorf("details = %q, want one cut short at %d bytes, on a whole character", details, maxDetail)
	}
}

func TestMonitorWaitFor(t *testing.T) {
	m := NewMonitor()
	go func() {
		for _, line := range logLines {
			time.Sleep(time.Millisecond)
			m.Line(line)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	counts, err := m.WaitDone(ctx, 2)
	if err != nil || counts.Done() < 2 {
		t.Fatalf("WaitDone(2) = %s, %v", counts, err)
	}

	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	counts, err = m.WaitDone(short, 5)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "wait for 5 tasks to end (3 received, 1 succeeded, 2 failed, 1 retried)") {
		t.Errorf("WaitDone(5) = %s, %v; want a deadline error that says how far the worker got", counts, err)
	}
}

func TestMonitorWaitEndsWhenTheWorkerEnds(t *testing.T) {
	m := NewMonitor()
	m.Line(logLines[1])
	m.WorkerEnded(errors.New("python3 exited with status 3"))
	m.WorkerEnded(errors.New("a second end is ignored"))
	counts, err := m.WaitDone(context.Background(), 5)
	want := "wait for 5 tasks to end (1 received, 0 succeeded, 0 failed, 0 retried): python3 exited with status 3"
	if err == nil || err.Error() != want {
		t.Errorf("WaitDone(5) = %s, %v; want %q", counts, err, want)
	}
}
