package dramatiq

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/leakspec/leakspec/internal/redistest"
)

// TestStopKeepsTheLastLinesAndLeavesNothing stops a real worker of two
// processes the moment Redis shows its last messages dead-lettered: the
// worker processes log "Retries exceeded" around that moment, through the
// pipes the main process relays, and Stop kills them without their
// graceful stop. Every such line must still reach the log, and no process
// may be left. The main process relays fast enough that a plain SIGKILL of
// the group passes here too, most of the time; worker's
// TestStopChildrenFirstKeepsTheRelayedLines is the one a slow relay fails.
func TestStopKeepsTheLastLinesAndLeavesNothing(t *testing.T) {
	requireDramatiq(t)
	rdb := redistest.Client(t)
	ctx := context.Background()
	q := NewQueue(rdb, "")
	const n = 10
	var ids []string
	for range n {
		id, err := q.Enqueue(ctx, Message{Actor: "fail", Args: []any{1}, Options: Options{MaxRetries: new(0)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	p := startTestWorker(t, rdb, 2, nil)
	members, err := groupPids(p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := q.WaitFinished(waitCtx, n, 0); err != nil {
		t.Fatalf("WaitFinished: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	log, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !strings.Contains(string(log), "Retries exceeded for message '"+id+"'.") {
			t.Errorf("the log lacks the dead letter of message %s:\n%s", id, log)
		}
	}
	for _, pid := range members {
		if alive(pid) {
			t.Errorf("process %d of the worker's group still runs after Stop", pid)
		}
	}
}

// groupPids returns the processes of group pgid.
func groupPids(pgid int) ([]int, error) {
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, p := range procs {
		if stat, err := p.Stat(); err == nil && stat.PGRP == pgid {
			pids = append(pids, p.PID)
		}
	}
	return pids, nil
}

// alive reports whether pid runs, a zombie counting as gone.
func alive(pid int) bool {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return false
	}
	stat, err := p.Stat()
	return err == nil && stat.State != "Z" && stat.State != "X"
}
