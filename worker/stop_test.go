package worker

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// relayingLeader is a worker whose leader relays its child's log lines, as
// Dramatiq's main process does, slowly: it reads one 32-byte record at a
// time and takes 10 ms to write each. It ignores SIGTERM and never exits on
// its own, so only Stop's SIGKILL ends it. The child writes its 40 records
// and then says it is ready on the output directly: when Stop begins, most
// records are still in the pipe between them.
const relayingLeader = `
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
r, w = os.pipe()
if os.fork() == 0:
    os.close(r)
    for i in range(40):
        os.write(w, b"relayed line %02d".ljust(31) % i + b"\n")
    os.write(1, b"ready\n")
    time.sleep(600)
    os._exit(0)
os.close(w)
while True:
    record = os.read(r, 32)
    if not record:
        time.sleep(600)
    time.sleep(0.01)
    os.write(1, record)
`

func TestStopChildrenFirstKeepsTheRelayedLines(t *testing.T) {
	p := mustStartWorker(t, Command{
		Argv:      pythonArgv(relayingLeader),
		LogPath:   newLogPath(t),
		Ready:     regexp.MustCompile(`^ready$`),
		Stop:      StopChildrenFirst,
		StopGrace: 10 * time.Second,
	})
	members, err := groupMembers(p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	stopLeavingNothing(t, p, members)
	log, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if line := fmt.Sprintf("relayed line %02d", i); !strings.Contains(string(log), line) {
			t.Errorf("the log lacks %q, which the child wrote before Stop:\n%s", line, log)
			break
		}
	}
	if forced, _ := p.ForcedStop(); forced {
		t.Error("ForcedStop() = true: the leader was killed by the grace's end, not once its pipe was drained")
	}
}

func TestStopKillLeavesNothing(t *testing.T) {
	p := mustStartWorker(t, Command{
		Argv:    shArgv(`trap '' TERM; sleep 600 & echo child $!; echo last words; echo ready; wait`),
		LogPath: newLogPath(t),
		Ready:   regexp.MustCompile(`^ready$`),
		Stop:    StopKill,
	})
	stopLeavingNothing(t, p, pidsAfter(t, p, "child"))
	if forced, _ := p.ForcedStop(); forced {
		t.Error("ForcedStop() = true for a worker that StopKill was asked to kill")
	}
	log, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "last words\nready\n") {
		t.Errorf("the log lacks the worker's last lines:\n%s", log)
	}
}

// stopLeavingNothing stops p and fails t unless Stop returns nil and
// neither its leader nor any of pids still runs.
func stopLeavingNothing(t *testing.T, p *Process, pids []int) {
	t.Helper()
	if err := p.Stop(); err != nil {
		t.Errorf("Stop() = %v, want nil", err)
	}
	for _, pid := range append(pids, p.Pid()) {
		if isRunning(pid) {
			t.Errorf("process %d of the worker still runs after Stop", pid)
		}
	}
}
