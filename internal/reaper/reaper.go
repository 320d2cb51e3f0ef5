// Package reaper ends what a process started when that process dies without
// cleaning up after itself. A test binary killed by go test's -timeout
// (which panics, running no deferred function), by a CI runner's SIGKILL or
// by the OOM killer runs no Ginkgo cleanup and no Stop: PR_SET_PDEATHSIG
// takes its workers' leaders down with it, but not the children they
// forked, and nothing stops its Redis containers.
//
// This is testcontainers' Ryuk for a worker's processes as well as for
// containers, and it needs no image: the first Watch starts a reaper
// process, this very binary run again, that reads from a pipe what to end.
// The caller holds the pipe's only write end, which the kernel closes when
// the caller dies, however it dies. At that end-of-file the reaper ends
// whatever is still watched, then exits; a caller that ended normally has
// forgotten everything by then, so the reaper simply exits with it.
//
//	forget := reaper.Watch(reaper.Cgroup(path))
//	... the worker runs ...
//	forget() // it was stopped and its cgroup removed
//
// The reaper runs from this package's init function when the process's
// environment says it is one, before the binary's main (or TestMain) runs:
// a binary that imports this package, directly or not, can always be its
// own reaper. It runs in a process group of its own, so that a Ctrl-C to
// the terminal's foreground group does not end it before the caller.
//
// Watching is best effort: where the reaper cannot start, Watch does
// nothing more than remember why (Err), and the caller's own cleanup and
// the next run's sweep of stale cgroups (internal/cgroup) remain.
package reaper

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
)

// envRole marks the reaper's own process; its value is the caller's pid.
const envRole = "LEAKSPEC_REAPER_OF"

// Target is something the reaper ends: a process group, a cgroup or a
// container.
type Target struct {
	kind byte
	id   string
	// host is a container's Docker daemon, "" for the one the environment
	// names.
	host string
}

// The kinds of Target, as written on the pipe.
const (
	kindGroup     = 'g'
	kindCgroup    = 'c'
	kindContainer = 'd'
)

// ProcessGroup is the process group pgid: the reaper sends it SIGKILL.
// Watch it only while its leader lives and is the caller's child, whose
// pid cannot be reused before the caller reaps it.
func ProcessGroup(pgid int) Target { return Target{kind: kindGroup, id: strconv.Itoa(pgid)} }

// Cgroup is the cgroup v2 directory path, one made by internal/cgroup: the
// reaper kills every process in it and removes it.
func Cgroup(path string) Target { return Target{kind: kindCgroup, id: path} }

// Container is the Docker container id on the daemon at host, as the client
// that started it names it (moby's Client.DaemonHost, which honours
// testcontainers' own settings): the reaper removes it with its anonymous
// volumes. An empty host is the daemon that DOCKER_HOST names, or the
// local one.
func Container(id, host string) Target {
	return Target{kind: kindContainer, id: id, host: host}
}

func (t Target) String() string {
	switch t.kind {
	case kindGroup:
		return "process group " + t.id
	case kindCgroup:
		return "cgroup " + t.id
	case kindContainer:
		if t.host != "" {
			return "container " + t.id + " on " + t.host
		}
		return "container " + t.id
	}
	return "unknown target " + strconv.Quote(t.id)
}

// line is how t is watched (+) or forgotten (-) on the pipe.
func (t Target) line(sign byte) []byte {
	if t.host != "" {
		return fmt.Appendf(nil, "%c%c %s %s\n", sign, t.kind, t.id, t.host)
	}
	return fmt.Appendf(nil, "%c%c %s\n", sign, t.kind, t.id)
}

// The caller's side: the write end of the pipe, and the reaper's pid.
var (
	mu       sync.Mutex
	pipe     *os.File
	pid      int
	startErr error
	started  bool
)

// Watch has the reaper end t should this process die before it calls the
// returned forget, which is safe to call more than once. The first Watch
// starts the reaper.
func Watch(t Target) (forget func()) {
	if t.id == "" || !send(t.line('+')) {
		return func() {}
	}
	var once sync.Once
	return func() { once.Do(func() { send(t.line('-')) }) }
}

// send writes one line to the reaper, starting it first if need be, and
// reports whether it could.
func send(line []byte) bool {
	mu.Lock()
	defer mu.Unlock()
	if !started {
		started = true
		startErr = start()
	}
	if pipe == nil {
		return false
	}
	// A line is far below PIPE_BUF, so it is written whole; and the
	// reaper reads all the time, so the write does not block.
	if _, err := pipe.Write(line); err != nil {
		startErr = fmt.Errorf("watch: the reaper is gone: %w", err)
		pipe.Close()
		pipe = nil
		return false
	}
	return true
}

// start runs this binary again as the reaper, its standard input the read
// end of a new pipe whose write end only this process holds: both ends are
// close-on-exec, so no worker started later inherits it.
func start() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("start reaper: %w", err)
	}
	defer r.Close()
	// /proc/self/exe is this binary even where its file was removed, as go
	// test may do with a test binary; the name is what ps shows.
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{"leakspec-reaper"},
		Env:         append(os.Environ(), envRole+"="+strconv.Itoa(os.Getpid())),
		Stdin:       r,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start reaper: %w", err)
	}
	pipe, pid = w, cmd.Process.Pid
	// Reaped when it exits, which it does early only if something killed
	// it: the next write then fails and says so.
	go func() { _ = cmd.Wait() }()
	return nil
}

// Pid returns the reaper's pid, or 0 when none was started.
func Pid() int {
	mu.Lock()
	defer mu.Unlock()
	return pid
}

// Err says why the reaper could not start, or is gone; nil when it runs or
// was never needed.
func Err() error {
	mu.Lock()
	defer mu.Unlock()
	return startErr
}

func init() {
	// Only start() sets the variable, to the caller's pid, and only in the
	// reaper's environment: no worker inherits it.
	if caller, err := strconv.Atoi(os.Getenv(envRole)); err != nil || caller <= 0 {
		return
	}
	if err := reap(os.Stdin, end); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}
