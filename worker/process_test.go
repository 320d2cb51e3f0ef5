package worker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/leakspec/leakspec/internal/cgroup"
)

// The tests' workers are shell scripts and Python one-liners: real
// processes, forking real children, with no test double in between.
func shArgv(script string) []string { return []string{"/bin/sh", "-c", script} }

func pythonArgv(code string) []string { return []string{"/usr/bin/python3", "-c", code} }

// newLogPath returns a log path whose directory does not exist yet, so that
// every test also checks that Start creates it.
func newLogPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "logs", "worker.log")
}

// startWorker runs Start and makes sure the worker is stopped when the test ends.
func startWorker(t *testing.T, ctx context.Context, cmd Command) (*Process, error) {
	t.Helper()
	p, err := Start(ctx, cmd)
	if p != nil {
		t.Cleanup(func() { p.Stop() })
	}
	return p, err
}

// mustStartWorker is startWorker for workers that are expected to become ready.
func mustStartWorker(t *testing.T, cmd Command) *Process {
	t.Helper()
	p, err := startWorker(t, t.Context(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pidsAfter returns the pids the worker printed on lines "<label> <pid>".
func pidsAfter(t *testing.T, p *Process, label string) []int {
	t.Helper()
	var pids []int
	for _, line := range p.Tail() {
		if rest, ok := strings.CutPrefix(line, label+" "); ok {
			pid, err := strconv.Atoi(rest)
			if err != nil {
				t.Fatalf("worker printed %q, want %q followed by a pid", line, label)
			}
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		t.Fatalf("worker printed no %q line; its tail: %q", label, p.Tail())
	}
	return pids
}

// isRunning reports whether pid is a live process. A zombie counts as dead:
// it runs nothing and holds no memory, it only waits for its parent (for
// an orphan, init) to reap it.
func isRunning(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	proc, err := procfs.NewProc(pid)
	if err != nil {
		return false
	}
	stat, err := proc.Stat()
	return err == nil && stat.State != "Z" && stat.State != "X"
}

func hasEnded(p *Process) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

func TestStartReturnsOnceReady(t *testing.T) {
	tests := []struct {
		name     string
		cmd      Command
		wantTail []string
	}{
		{
			name: "first line matching Ready",
			cmd: Command{
				Argv:  shArgv(`echo booting; sleep 0.2; echo "listening on 127.0.0.1:8000"; exec sleep 600`),
				Ready: regexp.MustCompile(`^listening on `),
			},
			wantTail: []string{"booting", "listening on 127.0.0.1:8000"},
		},
		{
			name: "nil Ready means started",
			cmd:  Command{Argv: shArgv(`exec sleep 600`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cmd.LogPath = newLogPath(t)
			p := mustStartWorker(t, tt.cmd)

			if got := p.Tail(); !slices.Equal(got, tt.wantTail) {
				t.Errorf("Tail() = %q when Start returned, want %q", got, tt.wantTail)
			}
			if hasEnded(p) {
				t.Errorf("Done() is closed after Start; the worker ended: %v", p.Err())
			}
			if pgid, err := syscall.Getpgid(p.Pid()); err != nil || pgid != p.Pid() {
				t.Errorf("Getpgid(%d) = %d, %v; want the worker to lead its own group", p.Pid(), pgid, err)
			}
			if err := p.Stop(); err != nil {
				t.Errorf("Stop() = %v", err)
			}
		})
	}
}

func TestStartFailsFastWhenWorkerExitsBeforeReady(t *testing.T) {
	// Start must not wait for ReadyTimeout: the context ends long before it,
	// and a Start that waited would report the context instead.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p, err := startWorker(t, ctx, Command{
		Argv:         pythonArgv(`import sys; print("loading tasks", flush=True); sys.exit("ModuleNotFoundError: No module named 'tasks'")`),
		LogPath:      newLogPath(t),
		Ready:        regexp.MustCompile(`Worker is ready`),
		ReadyTimeout: 20 * time.Second,
	})

	if err == nil {
		t.Fatal("Start() succeeded for a worker that exited at once")
	}
	for _, want := range []string{
		"start worker: python3 exited with status 1 before it was ready; last log lines",
		"\n  loading tasks\n  ModuleNotFoundError: No module named 'tasks'",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start() error = %q, want it to contain %q", err, want)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Start() waited until its context ended: %v", err)
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Errorf("Start() error = %v, want it to wrap an *exec.ExitError with code 1", err)
	}
	if p == nil || !hasEnded(p) || p.Err() == nil {
		t.Fatalf("Start() = %v, want the ended Process with its Err", p)
	}
}

func TestStartKillsWorkerNotReadyInTime(t *testing.T) {
	p, err := startWorker(t, t.Context(), Command{
		Argv:         shArgv(`echo connecting to redis; echo still connecting; exec sleep 600`),
		LogPath:      newLogPath(t),
		Ready:        regexp.MustCompile(`Listening`),
		ReadyTimeout: 500 * time.Millisecond,
	})
	if p == nil {
		t.Fatalf("Start() = nil, %v; want the killed Process along with the error", err)
	}

	want := `start worker: sh was not ready after 500ms (waiting for a log line matching "Listening"); last log lines (` +
		p.LogPath() + "):\n  connecting to redis\n  still connecting"
	if err == nil || err.Error() != want {
		t.Fatalf("Start() error = %v\nwant %s", err, want)
	}
	if !hasEnded(p) {
		t.Fatal("Done() is open after Start failed; the worker was left running")
	}
	if got, want := fmt.Sprint(p.Err()), "sh was killed: it was not ready after 500ms"; got != want {
		t.Errorf("Err() = %q, want %q", got, want)
	}
	if isRunning(p.Pid()) {
		t.Errorf("worker %d still runs after Start failed", p.Pid())
	}
}

func TestStartStopsWhenContextEnds(t *testing.T) {
	t.Run("during start", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		p, err := startWorker(t, ctx, Command{
			Argv:    shArgv(`echo waiting; exec sleep 600`),
			LogPath: newLogPath(t),
			Ready:   regexp.MustCompile(`never printed`),
		})
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "sh was not ready when its context ended") {
			t.Fatalf("Start() error = %v, want the context's deadline", err)
		}
		if !hasEnded(p) || isRunning(p.Pid()) {
			t.Errorf("worker %d was left running after its context ended", p.Pid())
		}
	})
	t.Run("before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		p, err := startWorker(t, ctx, Command{Argv: shArgv(`exec sleep 600`), LogPath: newLogPath(t)})
		if p != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("Start() = %v, %v; want no process and context.Canceled", p, err)
		}
	})
}

func TestStartRejectsBadCommand(t *testing.T) {
	tests := []struct {
		name    string
		cmd     Command
		want    string
		wantErr error
	}{
		{
			name:    "missing program path",
			cmd:     Command{Argv: []string{"/no/such"}},
			want:    "start worker: /no/such: no such file or directory",
			wantErr: fs.ErrNotExist,
		},
		{
			name:    "program not in PATH",
			cmd:     Command{Argv: []string{"leakspec-no-such-program"}},
			want:    "start worker: leakspec-no-such-program: executable file not found in $PATH",
			wantErr: exec.ErrNotFound,
		},
		{
			name:    "missing working directory",
			cmd:     Command{Argv: shArgv("true"), Dir: "/no/such/dir"},
			want:    "start worker: sh: working directory /no/such/dir: no such file or directory",
			wantErr: fs.ErrNotExist,
		},
		{
			name: "empty argv",
			cmd:  Command{},
			want: "start worker: the command is empty; Argv needs at least the program to run",
		},
		{
			name: "malformed environment",
			cmd:  Command{Argv: shArgv("true"), Env: []string{"REDIS_URL"}},
			want: `start worker: sh: environment entry "REDIS_URL" is not KEY=value`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cmd.LogPath = newLogPath(t)
			p, err := startWorker(t, t.Context(), tt.cmd)
			if p != nil || err == nil || err.Error() != tt.want {
				t.Fatalf("Start() = %v, %v; want no process and %q", p, err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Start() error = %v, want it to wrap %v", err, tt.wantErr)
			}
		})
	}

	t.Run("no log path", func(t *testing.T) {
		p, err := startWorker(t, t.Context(), Command{Argv: shArgv("true")})
		if want := "start worker: sh has no LogPath; every worker's output goes to a log file"; p != nil || err == nil || err.Error() != want {
			t.Fatalf("Start() = %v, %v; want no process and %q", p, err, want)
		}
	})
}

func TestStartRunsWithEnvAndDir(t *testing.T) {
	t.Setenv("LEAKSPEC_TEST_INHERITED", "from the caller")
	t.Setenv("LEAKSPEC_TEST_OVERRIDDEN", "from the caller")
	dir := t.TempDir()
	p := mustStartWorker(t, Command{
		Argv: pythonArgv(`import os
for key in ("REDIS_URL", "LEAKSPEC_TEST_INHERITED", "LEAKSPEC_TEST_OVERRIDDEN"):
    print(key, os.environ[key])
print("cwd", os.getcwd())
print("ready", flush=True)
`),
		Dir:     dir,
		Env:     []string{"REDIS_URL=redis://127.0.0.1:6379/0", "LEAKSPEC_TEST_OVERRIDDEN=from the command"},
		LogPath: newLogPath(t),
		Ready:   regexp.MustCompile(`^ready$`),
	})

	want := []string{
		"REDIS_URL redis://127.0.0.1:6379/0",
		"LEAKSPEC_TEST_INHERITED from the caller",
		"LEAKSPEC_TEST_OVERRIDDEN from the command",
		"cwd " + dir,
		"ready",
	}
	if got := p.Tail(); !slices.Equal(got, want) {
		t.Errorf("Tail() = %q\nwant %q", got, want)
	}
}

func TestStopKillsWholeGroup(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		grace   time.Duration
		wantErr string
		forced  bool
		waited  time.Duration // what ForcedStop says Stop waited
	}{
		{
			// Ignored signals stay ignored across fork and exec, so the
			// children ignore SIGTERM too; only SIGKILL ends them, and
			// since no handler can run, Stop does not wait the grace.
			name:    "everyone ignores SIGTERM",
			script:  `trap '' TERM; sleep 600 & echo child $!; sleep 600 & echo child $!; echo ready; wait`,
			grace:   10 * time.Second,
			wantErr: "sh was killed by signal 9 (killed)",
			forced:  true,
			waited:  0,
		},
		{
			// The leader dies of SIGTERM at once, long before the grace
			// period ends; a child and a grandchild that ignore it would
			// outlive it without the SIGKILL that follows the leader's exit.
			name:    "children outlive the leader",
			script:  `sh -c 'trap "" TERM; sleep 600 & echo child $!; echo child $$; echo ready; wait' & wait`,
			grace:   time.Minute,
			wantErr: "sh was killed by signal 15 (terminated)",
			waited:  time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustStartWorker(t, Command{
				Argv:      shArgv(tt.script),
				LogPath:   newLogPath(t),
				Ready:     regexp.MustCompile(`^ready$`),
				StopGrace: tt.grace,
			})
			children := pidsAfter(t, p, "child")

			if err := p.Stop(); err != nil {
				t.Errorf("Stop() = %v, want nil for a worker we stopped", err)
			}
			if got := fmt.Sprint(p.Err()); got != tt.wantErr {
				t.Errorf("Err() = %q, want %q", got, tt.wantErr)
			}
			if forced, waited := p.ForcedStop(); forced != tt.forced || waited != tt.waited {
				t.Errorf("ForcedStop() = %v, %v; want %v, %v", forced, waited, tt.forced, tt.waited)
			}
			for _, pid := range append(children, p.Pid()) {
				if isRunning(pid) {
					t.Errorf("process %d of the worker's group still runs after Stop", pid)
				}
			}
		})
	}
}

func TestStopKillsDescendantThatLeftGroup(t *testing.T) {
	// setsid moves the sleep into a session, and so a group, of its own, as
	// RQ's work horse does: a signal to the worker's group cannot reach it,
	// but it is still the leader's descendant when Stop begins. Without a
	// cgroup, which would hold it anyway, that link is what Stop has.
	withoutCgroups(t)
	for _, mode := range []StopMode{StopGraceful, StopKill, StopChildrenFirst} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			p := mustStartWorker(t, Command{
				Argv:    shArgv(`setsid sh -c 'echo escaped $$; exec sleep 600' & wait`),
				LogPath: newLogPath(t),
				Ready:   regexp.MustCompile(`^escaped `),
				Stop:    mode,
			})
			escaped := pidsAfter(t, p, "escaped")[0]
			t.Cleanup(func() { syscall.Kill(escaped, syscall.SIGKILL) })

			if err := p.Stop(); err != nil {
				t.Errorf("Stop() = %v, want nil", err)
			}
			if isRunning(escaped) {
				t.Errorf("process %d, which left the group, still runs after Stop", escaped)
			}
		})
	}
}

func TestStopEndsOrphanThatLeftGroup(t *testing.T) {
	t.Run("own cgroup", testStopEndsOrphanThatLeftGroup)
	t.Run("process group alone", func(t *testing.T) {
		withoutCgroups(t)
		testStopEndsOrphanThatLeftGroup(t)
	})
}

// withoutCgroups makes the workers of the test start without a cgroup, as
// on a machine that has none.
func withoutCgroups(t *testing.T) {
	saved := newCgroup
	newCgroup = func() (*cgroup.Group, error) { return nil, errors.New("the test asked for none") }
	t.Cleanup(func() { newCgroup = saved })
}

func testStopEndsOrphanThatLeftGroup(t *testing.T) {
	// The inner shell exits at once, so the sleep is an orphan of init in a
	// group of its own before Stop begins: nothing in /proc ties it to the
	// worker any more. Its cgroup still does, where the worker has one, and
	// Stop ends it; without one, Stop must not hang on the output it holds
	// open, and must say that something is left.
	p := mustStartWorker(t, Command{
		Argv:    shArgv(`sh -c 'setsid sh -c "echo escaped \$\$; exec sleep 600" &'; sleep 600 & wait`),
		LogPath: newLogPath(t),
		Ready:   regexp.MustCompile(`^escaped `),
	})
	escaped := pidsAfter(t, p, "escaped")[0]
	t.Cleanup(func() { syscall.Kill(escaped, syscall.SIGKILL) })
	inCgroup := strings.HasPrefix(p.Containment(), "cgroup v2 ")
	t.Logf("the worker runs in %s", p.Containment())

	err := p.Stop()
	if !hasEnded(p) {
		t.Error("Done() is open after Stop")
	}
	if inCgroup {
		if err != nil || isRunning(escaped) {
			t.Errorf("Stop() = %v, and the orphan %d runs: %v; want it ended with the worker's cgroup", err, escaped, isRunning(escaped))
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "stop worker: sh: its output was still open after its group was killed") {
		t.Errorf("Stop() = %v, want it to report the process that left the group", err)
	}
	if !isRunning(escaped) {
		t.Errorf("process %d, which left the group, is gone; this test no longer shows the limitation", escaped)
	}
}

func TestKillSetsErr(t *testing.T) {
	p := mustStartWorker(t, Command{Argv: shArgv(`exec sleep 600`), LogPath: newLogPath(t)})

	p.Kill("its tree used 1.2 GB, above the ceiling of 1 GB")
	<-p.Done()
	if p.Stopped() {
		t.Error("Stopped() = true after Kill alone")
	}
	want := "sh was killed: its tree used 1.2 GB, above the ceiling of 1 GB"
	if got := fmt.Sprint(p.Err()); got != want {
		t.Errorf("Err() = %q, want %q", got, want)
	}
	var exitErr *exec.ExitError
	if !errors.As(p.Err(), &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("Err() = %v, want it to wrap the SIGKILL exit", p.Err())
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop() after Kill = %v, want nil", err)
	}
	if !p.Stopped() {
		t.Error("Stopped() = false after Stop")
	}
	p.Kill("a later reason")
	if got := fmt.Sprint(p.Err()); got != want {
		t.Errorf("Err() after a second Kill = %q, want still %q", got, want)
	}
}

func TestStopIsIdempotentAndConcurrent(t *testing.T) {
	p := mustStartWorker(t, Command{Argv: shArgv(`exec sleep 600`), LogPath: newLogPath(t)})

	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = p.Stop() })
	}
	wg.Wait()
	errs = append(errs, p.Stop())
	for i, err := range errs {
		if err != nil {
			t.Errorf("Stop() call %d = %v", i, err)
		}
	}
	if got, want := fmt.Sprint(p.Err()), "sh was killed by signal 15 (terminated)"; got != want {
		t.Errorf("Err() = %q, want %q", got, want)
	}
}

func TestStopReportsEarlierExit(t *testing.T) {
	p := mustStartWorker(t, Command{
		Argv:    shArgv(`echo ready; exit 3`),
		LogPath: newLogPath(t),
		Ready:   regexp.MustCompile(`^ready$`),
	})
	<-p.Done()

	err := p.Stop()
	if want := "stop worker: sh exited with status 3 before it was stopped"; err == nil || err.Error() != want {
		t.Errorf("Stop() = %v, want %q", err, want)
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Errorf("Stop() = %v, want it to wrap an *exec.ExitError with code 3", err)
	}
}

func TestOnLineSeesEveryLineInOrder(t *testing.T) {
	var (
		mu    sync.Mutex
		lines []string
	)
	p := mustStartWorker(t, Command{
		Argv:    shArgv(`echo one; echo two >&2; printf 'three\r\n'; echo ready; echo after`),
		LogPath: newLogPath(t),
		Ready:   regexp.MustCompile(`^ready$`),
		OnLine: func(line string) {
			mu.Lock()
			defer mu.Unlock()
			lines = append(lines, line)
		},
	})
	<-p.Done()
	mu.Lock()
	defer mu.Unlock()
	want := []string{"one", "two", "three", "ready", "after"}
	if !slices.Equal(lines, want) {
		t.Errorf("OnLine saw %q, want %q", lines, want)
	}
}

// forwardingWorker is a leader that forwards SIGTERM to the child it
// forked and exits once the child has, like Dramatiq's main process. The
// child says who sent the first SIGTERM it got: counting them would race,
// since a signal that arrives while another is pending is merged into it.
const forwardingWorker = `import os, signal
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    os.write(w, b"x")
    info = signal.sigwaitinfo({signal.SIGTERM})
    sender = "its leader" if info.si_pid == os.getppid() else "elsewhere"
    print("child got SIGTERM from " + sender, flush=True)
    os._exit(0)
def forward(signum, frame):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass  # the child was quicker, and has been reaped already
signal.signal(signal.SIGTERM, forward)
os.read(r, 1)  # the child is ready for its signal
print("ready", flush=True)
os.waitpid(pid, 0)
`

func TestStopTermLeaderOnly(t *testing.T) {
	for _, tt := range []struct {
		leaderOnly bool
		want       string
	}{
		{leaderOnly: true, want: "child got SIGTERM from its leader"},
		// The default signals the whole group, Stop's SIGTERM reaching the
		// child before its leader's.
		{leaderOnly: false, want: "child got SIGTERM from elsewhere"},
	} {
		t.Run(fmt.Sprintf("TermLeaderOnly=%v", tt.leaderOnly), func(t *testing.T) {
			p := mustStartWorker(t, Command{
				Argv:           pythonArgv(forwardingWorker),
				LogPath:        newLogPath(t),
				Ready:          regexp.MustCompile(`^ready$`),
				StopGrace:      time.Minute,
				TermLeaderOnly: tt.leaderOnly,
			})
			if err := p.Stop(); err != nil {
				t.Errorf("Stop() = %v, want nil", err)
			}
			if err := p.Err(); err != nil {
				t.Errorf("Err() = %v, want nil: the leader exited on its own after SIGTERM", err)
			}
			if tail := p.Tail(); !slices.Contains(tail, tt.want) {
				t.Errorf("the log ends %q, want the line %q", tail, tt.want)
			}
		})
	}
}
