package leftover

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestProcessesFindsARunByItsIDAndSession(t *testing.T) {
	id := NewID("leftover-test")
	// A shell in a session of its own whose child clears its environment:
	// the marker finds the shell, the session finds both.
	cmd := exec.Command("/bin/sh", "-c", "env -i /bin/sleep 30 & echo started; wait")
	cmd.Env = append(os.Environ(), EnvRunID+"="+id)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	if _, err := out.Read(make([]byte, 8)); err != nil {
		t.Fatal(err)
	}

	// The child holds the marker until env has exec'd sleep without it.
	var byMarker []Process
	for deadline := time.Now().Add(10 * time.Second); ; {
		byMarker, err = Processes(id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(byMarker) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(byMarker) != 1 || byMarker[0].Pid != cmd.Process.Pid {
		t.Errorf("by its id: %v, want the shell %d alone", byMarker, cmd.Process.Pid)
	}
	bySession, err := Processes(id, cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(bySession) != 2 || !strings.Contains(bySession[0].Cmdline+bySession[1].Cmdline, "/bin/sleep 30") {
		t.Errorf("by its session: %v, want the shell and its sleep", bySession)
	}
	if others, err := Processes(NewID("nobody"), 0); err != nil || len(others) != 0 {
		t.Errorf("another id finds %v, %v; want nothing", others, err)
	}

	// Once the group is killed, nothing is left; zombies do not count.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	procs, err := awaitProcesses(id, cmd.Process.Pid, 10*time.Second)
	if err != nil || len(procs) != 0 {
		t.Errorf("after SIGKILL: %v, %v; want nothing", procs, err)
	}
}

func TestContainersOfAnUnknownRunAreNone(t *testing.T) {
	ctrs, err := Containers(context.Background(), NewID("nobody"))
	if err != nil {
		t.Skipf("Docker is not reachable: %v", err)
	}
	if len(ctrs) != 0 {
		t.Errorf("containers %v, want none", ctrs)
	}
}

// awaitProcesses polls Processes until it finds nothing or timeout passes.
func awaitProcesses(id string, session int, timeout time.Duration) ([]Process, error) {
	deadline := time.Now().Add(timeout)
	for {
		procs, err := Processes(id, session)
		if err != nil || len(procs) == 0 || time.Now().After(deadline) {
			return procs, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
