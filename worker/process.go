package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leakspec/leakspec/internal/cgroup"
	"github.com/leakspec/leakspec/internal/reaper"
)

// newCgroup makes the cgroup a worker is born in; tests replace it to run
// the process-group path on a machine that has cgroups.
var newCgroup = cgroup.New

// The values Start uses for Command's zero fields.
const (
	DefaultReadyTimeout = 30 * time.Second
	// DefaultStopGrace is long enough for an ordinary SIGTERM handler to
	// flush its lines and exit (a few milliseconds), and short enough that
	// a program that hangs in its handler costs a spec under half a second.
	DefaultStopGrace = 300 * time.Millisecond
	DefaultTailLines = 50
)

// outputDrainTimeout bounds how long the output is still read once the
// leader has exited and its group has been killed. The pipe normally ends at
// once; only a process that left the group can still hold it open, and it
// must not keep Done from closing.
const outputDrainTimeout = time.Second

// Command describes how to run a worker. Argv is a list, never a shell
// string.
type Command struct {
	// Argv is the program and its arguments. A program without a slash is
	// looked up in the caller's PATH, not in one that Env sets.
	Argv []string
	// Dir is the working directory; "" means the caller's.
	Dir string
	// Env holds "KEY=value" entries added to the caller's environment
	// (os.Environ()); an entry here wins over the caller's.
	Env []string
	// LogPath is the file that receives stdout and stderr, combined. Start
	// creates it, with its parent directories, and truncates an old one.
	// It is required.
	LogPath string
	// Ready marks the worker ready at the first log line that matches it
	// (only the first 4 KiB of a line are matched). When nil, the worker is
	// ready as soon as it has started.
	Ready *regexp.Regexp
	// ReadyTimeout is how long Start waits for Ready. Zero or less means
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// StopGrace is how long Stop waits after SIGTERM before it sends
	// SIGKILL. Zero or less means DefaultStopGrace (300 ms); a program
	// whose SIGTERM handler takes longer to write its last lines (it
	// finishes a job, says goodbye to a broker) needs more.
	StopGrace time.Duration
	// Stop says how Stop ends the worker; StopGraceful when zero.
	Stop StopMode
	// TermLeaderOnly makes Stop send its SIGTERM to the leader alone
	// rather than to the whole group, for workers whose leader stops its
	// children itself and whose children take a second SIGTERM as an
	// order to die at once (Dramatiq's do, and then hang on their running
	// threads). The SIGKILL after StopGrace still goes to the group.
	TermLeaderOnly bool
	// TailLines is how many of the last log lines are kept in memory for
	// Tail and error messages. Zero or less means DefaultTailLines.
	TailLines int
	// OnLine, when set, is called with every line of output (its first
	// 4 KiB, as Tail keeps it), in order, from the goroutine that copies
	// the output: adapters use it to turn a worker's log lines ("Retrying
	// message ...") into events. It must return quickly, since the worker
	// blocks on a full pipe meanwhile.
	OnLine func(line string)
}

// Process is a running worker: the leader of its own process group, with
// its output going to a log file. All its methods are safe for concurrent
// use.
type Process struct {
	name    string // the program's base name, for messages
	pid     int
	logPath string
	grace   time.Duration
	tail    *logTail
	ready   chan struct{} // closed once the worker is ready
	done    chan struct{} // closed once the leader is reaped and its output is in the log
	// termLeaderOnly is Command.TermLeaderOnly.
	termLeaderOnly bool
	stopMode       StopMode
	// cgroup holds the worker's every process when the machine allows it;
	// cgroupErr says why not when it is nil.
	cgroup    *cgroup.Group
	cgroupErr error
	// unwatch takes the worker off the reaper's list, once its cgroup is
	// removed or, without one, its group is gone.
	unwatch func()

	mu sync.Mutex
	// leaderExited is set before the leader is reaped; no signal is sent to
	// the group after that, because its id may then be reused.
	leaderExited bool
	stopping     bool // Stop has begun
	// escaped are the descendants outside the group that Stop found
	// before its first signal (see noteEscaped).
	escaped    []escapee
	killReason string // from the first Kill before the leader exited

	// Written before done is closed and only read after it.
	exit      *exitError // how the leader ended
	endedByUs bool       // the leader ended after Stop or Kill
	outputErr error      // writing the log failed, or the output was held open

	stopOnce sync.Once
	stopErr  error
	// forced is set by Stop when the leader outlived the grace after
	// SIGTERM and the group had to be killed; forcedAtOnce too when every
	// process the SIGTERM reached ignored it, and so no grace was waited.
	forced, forcedAtOnce atomic.Bool
}

// Start runs the worker that cmd describes in a new process group and
// returns once it is ready (see Command.Ready).
//
// When Start fails after the worker was started, the group is already
// killed and reaped, and Start returns the Process along with the error, so
// that the caller can still read its Tail and Err. The error names the
// program and quotes the last log lines.
func Start(ctx context.Context, cmd Command) (*Process, error) {
	if len(cmd.Argv) == 0 || cmd.Argv[0] == "" {
		return nil, errors.New("start worker: the command is empty; Argv needs at least the program to run")
	}
	name := filepath.Base(cmd.Argv[0])
	if cmd.LogPath == "" {
		return nil, fmt.Errorf("start worker: %s has no LogPath; every worker's output goes to a log file", name)
	}
	for _, kv := range cmd.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("start worker: %s: environment entry %q is not KEY=value", name, kv)
		}
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("start worker: %s: %w", name, context.Cause(ctx))
	}
	// With SysProcAttr set, os.StartProcess leaves the working directory
	// to the child, whose failed chdir would be reported as a missing
	// program.
	if cmd.Dir != "" {
		if info, err := os.Stat(cmd.Dir); err != nil {
			return nil, fmt.Errorf("start worker: %s: working directory %s: %w", name, cmd.Dir, errors.Unwrap(err))
		} else if !info.IsDir() {
			return nil, fmt.Errorf("start worker: %s: working directory %s is not a directory", name, cmd.Dir)
		}
	}
	cmd = withDefaults(cmd)

	if err := os.MkdirAll(filepath.Dir(cmd.LogPath), 0o755); err != nil {
		return nil, fmt.Errorf("start worker: create log directory: %w", err)
	}
	logFile, err := os.Create(cmd.LogPath)
	if err != nil {
		return nil, fmt.Errorf("start worker: create log: %w", err)
	}
	// One pipe for both streams keeps stdout and stderr lines in the order
	// the worker wrote them.
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start worker: create output pipe: %w", err)
	}

	newCmd := func() *exec.Cmd {
		c := exec.Command(cmd.Argv[0], cmd.Argv[1:]...)
		c.Dir = cmd.Dir
		c.Env = append(os.Environ(), cmd.Env...)
		c.Stdout, c.Stderr = pipeW, pipeW
		c.SysProcAttr = &syscall.SysProcAttr{
			Setpgid: true,
			// If the test binary itself is SIGKILLed (a CI timeout, kill
			// -9), nothing runs Stop; Pdeathsig makes the kernel kill the
			// leader then. Its limits: it reaches the leader only, not the
			// children it forked, and it fires when the OS thread that
			// started the leader exits, which Go does only for a goroutine
			// that ends while locked to its thread (golang/go#27505).
			Pdeathsig: syscall.SIGKILL,
		}
		return c
	}
	c := newCmd()
	// Where it can, the worker is born in a cgroup of its own (clone3),
	// which holds every process it starts, whatever their group.
	group, groupErr := newCgroup()
	if group != nil {
		c.SysProcAttr.UseCgroupFD, c.SysProcAttr.CgroupFD = true, group.FD()
	}
	err = c.Start()
	if err != nil && group != nil {
		// A kernel without clone3, or a cgroup we may not join: the
		// process group alone will do.
		groupErr = fmt.Errorf("start in cgroup %s: %w", group.Path(), err)
		_ = group.Remove()
		group = nil
		c = newCmd()
		err = c.Start()
	}
	// The worker has its own copy of the write end; ours would keep the
	// pipe from ever reaching end-of-file.
	pipeW.Close()
	if err != nil {
		pipeR.Close()
		logFile.Close()
		return nil, startError(name, err)
	}

	p := &Process{
		name:    name,
		pid:     c.Process.Pid,
		logPath: cmd.LogPath,
		grace:   cmd.StopGrace,
		tail:    newLogTail(cmd.TailLines),
		ready:   make(chan struct{}),
		done:    make(chan struct{}),

		termLeaderOnly: cmd.TermLeaderOnly,
		stopMode:       cmd.Stop,
		cgroup:         group,
		cgroupErr:      groupErr,
	}
	// Should this process die without stopping the worker (go test's
	// -timeout, a SIGKILL), Pdeathsig ends the leader and the reaper the
	// rest: the whole cgroup, or else the group, which the leader's pid
	// names until this process reaps it.
	if group != nil {
		p.unwatch = reaper.Watch(reaper.Cgroup(group.Path()))
	} else {
		p.unwatch = reaper.Watch(reaper.ProcessGroup(p.pid))
	}
	outputDone := make(chan struct{})
	go func() {
		defer close(outputDone)
		err := copyOutput(pipeR, logFile, p.tail, cmd.OnLine, cmd.Ready, func() { close(p.ready) })
		p.outputErr = errors.Join(err, logFile.Close())
	}()
	go p.wait(c, pipeR, outputDone)

	if cmd.Ready == nil {
		close(p.ready)
	}
	return p, p.awaitReady(ctx, cmd)
}

func withDefaults(cmd Command) Command {
	if cmd.ReadyTimeout <= 0 {
		cmd.ReadyTimeout = DefaultReadyTimeout
	}
	if cmd.StopGrace <= 0 {
		cmd.StopGrace = DefaultStopGrace
	}
	if cmd.TailLines <= 0 {
		cmd.TailLines = DefaultTailLines
	}
	return cmd
}

// awaitReady waits until the worker is ready and, when it fails to become
// ready, kills and reaps its group and says why.
func (p *Process) awaitReady(ctx context.Context, cmd Command) error {
	timeout := time.NewTimer(cmd.ReadyTimeout)
	defer timeout.Stop()
	select {
	case <-p.ready:
		return nil
	case <-p.done:
		select {
		case <-p.ready:
			// It printed its ready line and then exited; Done tells the
			// caller so.
			return nil
		default:
		}
		p.Stop() // the error below says more than Stop's would
		return fmt.Errorf("start worker: %w before it was ready%s", p.exit, p.tailReport())
	case <-timeout.C:
		p.Kill(fmt.Sprintf("it was not ready after %v", cmd.ReadyTimeout))
		p.Stop()
		return fmt.Errorf("start worker: %s was not ready after %v (waiting for a log line matching %q)%s",
			p.name, cmd.ReadyTimeout, cmd.Ready, p.tailReport())
	case <-ctx.Done():
		p.Kill("its start was cancelled")
		p.Stop()
		return fmt.Errorf("start worker: %s was not ready when its context ended (%w)%s",
			p.name, context.Cause(ctx), p.tailReport())
	}
}

// wait reaps the leader, kills what is left of its group, finishes the
// output and closes done.
func (p *Process) wait(c *exec.Cmd, pipe *os.File, outputDone <-chan struct{}) {
	exited := awaitExit(p.pid) == nil
	p.mu.Lock()
	if exited {
		// The leader is a zombie now: its pid, the group's id, cannot be
		// reused until it is reaped, so this is the last moment the group
		// can be signalled safely. Nothing the worker started outlives it.
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		// So are the descendants Stop found outside the group, which would
		// otherwise hold the output open, and whatever is left in the
		// worker's cgroup.
		p.killEscapedLocked()
		p.killCgroup()
	}
	if p.cgroup == nil {
		p.unwatch()
	}
	p.leaderExited = true
	p.endedByUs = p.stopping || p.killReason != ""
	killReason := p.killReason
	p.mu.Unlock()

	waitErr := c.Wait()
	_ = pipe.SetReadDeadline(time.Now().Add(outputDrainTimeout))
	<-outputDone
	pipe.Close()
	p.exit = newExitError(p.name, killReason, waitErr)
	close(p.done)
}

// Pid returns the pid of the leader, which is also the id of the worker's
// process group.
func (p *Process) Pid() int { return p.pid }

// LogPath returns the file that receives the worker's output.
func (p *Process) LogPath() string { return p.logPath }

// Tail returns the last log lines kept in memory, oldest first.
func (p *Process) Tail() []string { return p.tail.Lines() }

// Done returns a channel that is closed once the leader has exited and been
// reaped, the rest of its group has been sent SIGKILL, and its output is in
// the log file.
func (p *Process) Done() <-chan struct{} { return p.done }
