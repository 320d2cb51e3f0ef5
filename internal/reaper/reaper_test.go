package reaper

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/proc"
)

func TestReapEndsWhatIsStillWatchedProcessesFirst(t *testing.T) {
	in := strings.Join([]string{
		"+d 3f2a",
		"+g 4242",
		"+c /sys/fs/cgroup/leakspec-1-1",
		"+g 4343",
		"-g 4242",
		"not a line of the protocol",
		"-d 0000",
	}, "\n") + "\n"
	var ended []string
	err := reap(strings.NewReader(in), func(t Target) error {
		ended = append(ended, t.String())
		if t.kind == kindGroup {
			return errors.New("no such luck")
		}
		return nil
	})
	want := []string{"cgroup /sys/fs/cgroup/leakspec-1-1", "process group 4343", "container 3f2a"}
	if fmt.Sprint(ended) != fmt.Sprint(want) {
		t.Errorf("ended %q, want %q", ended, want)
	}
	if err == nil || err.Error() != "reap process group 4343: no such luck" {
		t.Errorf("reap returned %v, want the error of the group it could not end", err)
	}
}

func TestReapEndsNothingWhenEverythingWasForgotten(t *testing.T) {
	err := reap(strings.NewReader("+g 10\n+d abc\n-d abc\n-g 10\n"), func(t Target) error {
		return fmt.Errorf("%s was forgotten", t)
	})
	if err != nil {
		t.Error(err)
	}
}

func TestTargetLineRoundTrips(t *testing.T) {
	for _, target := range []Target{ProcessGroup(77), Cgroup("/sys/fs/cgroup/a b/leakspec-2-3"), Container("c0ffee", ""), Container("c0ffee", "unix:///run/user/1000/docker.sock")} {
		got, sign, ok := parseLine(strings.TrimSuffix(string(target.line('+')), "\n"))
		if !ok || sign != '+' || got != target {
			t.Errorf("%s came back as %s (%c, %v)", target, got, sign, ok)
		}
	}
}

// envVictim makes this test binary the victim of TestReaperEnds...: a
// process that starts a process group, watches it or not, and waits to be
// killed.
const envVictim = "LEAKSPEC_REAPER_TEST_VICTIM"

// TestVictim is not a test: it is what the victim process runs.
func TestVictim(t *testing.T) {
	mode := os.Getenv(envVictim)
	if mode == "" {
		t.Skip("run by the tests that kill it")
	}
	// A shell and two children that no death signal reaches, as a
	// Dramatiq or Celery worker's forked processes.
	sh := exec.Command("sh", "-c", "sleep 300 & sleep 300 & wait")
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	forget := Watch(ProcessGroup(sh.Process.Pid))
	if mode == "forget" {
		forget()
	}
	if err := Err(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("group %d reaper %d\n", sh.Process.Pid, Pid())
	time.Sleep(time.Minute)
}

// victim starts the victim in mode and returns it, with the process group
// it started and its reaper's pid, once the group has its three members.
func victim(t *testing.T, mode string) (*exec.Cmd, int, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestVictim$", "-test.v")
	cmd.Env = append(os.Environ(), envVictim+"="+mode)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	var group, reaperPid int
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if n, _ := fmt.Sscanf(lines.Text(), "group %d reaper %d", &group, &reaperPid); n == 2 {
			break
		}
	}
	if group == 0 || reaperPid == 0 {
		t.Fatal("the victim did not say which group it started")
	}
	// The group is ours to end, whatever the test finds.
	t.Cleanup(func() { _ = syscall.Kill(-group, syscall.SIGKILL) })
	go func() {
		for lines.Scan() {
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(members(t, group)) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("process group %d has members %v, want the shell and its two sleeps", group, members(t, group))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cmd, group, reaperPid
}

// members returns the live processes of process group pgid.
func members(t *testing.T, pgid int) []int {
	t.Helper()
	pids, err := proc.NewReader("").GroupMembers(pgid, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// alive reports whether pid runs, zombies aside.
func alive(pid int) bool {
	s, err := proc.NewReader("").Stat(pid)
	return err == nil && s.State != 'Z' && s.State != 'X'
}

// awaitGone waits up to five seconds for cond to hold.
func awaitGone(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func TestReaperEndsAWatchedGroupWhenItsCallerIsKilled(t *testing.T) {
	cmd, group, reaperPid := victim(t, "watch")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !awaitGone(func() bool { return len(members(t, group)) == 0 }) {
		t.Errorf("process group %d still has %v five seconds after its starter was killed", group, members(t, group))
	}
	if !awaitGone(func() bool { return !alive(reaperPid) }) {
		t.Errorf("the reaper %d outlived its work", reaperPid)
	}
}

func TestReaperLeavesAForgottenGroupAlone(t *testing.T) {
	cmd, group, reaperPid := victim(t, "forget")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !awaitGone(func() bool { return !alive(reaperPid) }) {
		t.Fatalf("the reaper %d did not exit when its caller died", reaperPid)
	}
	if got := members(t, group); len(got) != 3 {
		t.Errorf("process group %d has %v after the reaper exited, want its three members untouched", group, got)
	}
}
