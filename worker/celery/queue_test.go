package celery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/leakspec/leakspec/internal/batch"
	"github.com/leakspec/leakspec/internal/redisfault"
	"github.com/leakspec/leakspec/internal/redistest"
)

// TestEnqueueManyReturnsTheIdsEnqueuedBeforeRedisFails fails the second
// transaction. The tasks are large enough that two fill a transaction (the
// body grows by a third in base64), so where the first one ends shows the
// byte limit at work.
func TestEnqueueManyReturnsTheIdsEnqueuedBeforeRedisFails(t *testing.T) {
	rdb := redistest.Client(t)
	lost := errors.New("connection reset")
	redisfault.FailTransaction(rdb, 2, lost)
	ctx := context.Background()
	q := NewQueue(rdb, "")
	big := strings.Repeat("x", batch.RedisTransaction.Bytes*3/8*3/4)
	tasks := make([]Task, 5)
	for i := range tasks {
		tasks[i] = Task{ID: fmt.Sprintf("task-%d", i), Name: "scenarios.echo", Args: []any{big}}
	}

	ids, err := q.EnqueueMany(ctx, tasks)
	if want := "enqueue tasks 3 to 4 of 5 on celery: connection reset"; err == nil || err.Error() != want || !errors.Is(err, lost) {
		t.Errorf("EnqueueMany error = %v, want %q", err, want)
	}
	want := []string{"task-0", "task-1"}
	if !slices.Equal(ids, want) {
		t.Errorf("EnqueueMany returned ids %q, want %q", ids, want)
	}
	// The worker pops from the right, so the list read from the right is
	// the order the worker runs the tasks in.
	var queued []string
	for _, m := range slices.Backward(rdb.LRange(ctx, "celery", 0, -1).Val()) {
		var message envelopeHeaders
		if err := json.Unmarshal([]byte(m), &message); err != nil {
			t.Fatalf("queued message: %v", err)
		}
		queued = append(queued, message.Headers.ID)
	}
	if !slices.Equal(queued, want) {
		t.Errorf("the queue holds tasks %q, want %q", queued, want)
	}
}
