package worker

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leakspec/leakspec/internal/proc"
)

// StopMode says how Stop ends a worker.
//
// A leak spec's recording is complete before Stop is called: what a worker
// does in a graceful shutdown (finishing a job, requeueing, saying goodbye
// to its broker) has no bearing on the verdict and only costs the spec
// time. What Stop must keep is every log line the worker wrote before it,
// and it must leave no process behind.
type StopMode int

const (
	// StopGraceful sends SIGTERM to the group (to the leader alone with
	// Command.TermLeaderOnly), waits up to Command.StopGrace for the leader
	// to exit, then sends SIGKILL. It is the default, for a program
	// leakspec knows nothing of, which may hold log lines in a buffer that
	// only its SIGTERM handler flushes; the default grace, 300 ms, is
	// plenty for a handler that flushes and exits, and keeps the stop of a
	// program that hangs in its handler under half a second. When every
	// process the SIGTERM reaches ignores it (SIG_IGN: no handler can run),
	// Stop sends SIGKILL at once instead of waiting out the grace.
	StopGraceful StopMode = iota
	// StopKill sends SIGKILL to the whole tree at once. It suits a worker
	// whose every log line reaches the pipe when it is written (Python with
	// PYTHONUNBUFFERED=1, Go's log package) and in which no process relays
	// another's lines: nothing it wrote can then be lost, and the kernel
	// ends it in milliseconds.
	StopKill
	// StopChildrenFirst sends SIGTERM to the leader alone, SIGKILL to every
	// other process of the tree, and then waits up to Command.StopGrace for
	// the leader to exit before it sends SIGKILL to it too. It suits a
	// leader that relays its children's log lines (Dramatiq's reads them
	// from a pipe per child): once the children are dead their pipes end,
	// the leader copies what is left in them, and exits without waiting
	// for its children's slow graceful shutdown.
	StopChildrenFirst
)

func (m StopMode) String() string {
	switch m {
	case StopGraceful:
		return "StopGraceful"
	case StopKill:
		return "StopKill"
	case StopChildrenFirst:
		return "StopChildrenFirst"
	}
	return fmt.Sprintf("StopMode(%d)", int(m))
}

// Kill sends SIGKILL to the worker's group now and remembers reason as the
// way it ended, for Err. It does nothing once the leader has exited.
func (p *Process) Kill(reason string) {
	if reason == "" {
		reason = "Kill was called without a reason"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.leaderExited {
		return
	}
	if p.killReason == "" {
		p.killReason = reason
	}
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	p.killCgroup()
}

// Stop ends the worker as Command.Stop says (see StopMode); by default,
// SIGTERM to its group (to its leader alone with Command.TermLeaderOnly), up
// to Command.StopGrace for the leader to exit, then SIGKILL to the group;
// SIGKILL at once when every process the SIGTERM reaches ignores it.
// Descendants that left the group (setsid) are found before the first
// signal and killed with the group. It returns once the group is gone and
// the log file is complete and closed. It returns nil when the
// worker was ended by Stop or Kill, or had exited with status 0; otherwise
// it says how the worker had ended, or what is left running.
//
// Stop may be called any number of times, from any goroutine; every call
// waits for the first and returns its result.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *Process) stop() error {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()

	if p.cgroup == nil {
		// A cgroup holds the escapees anyway, and the listing costs a scan
		// of /proc.
		p.noteEscaped()
	}
	p.end()

	var errs []error
	if !p.endedByUs && !p.exit.clean {
		errs = append(errs, fmt.Errorf("stop worker: %w before it was stopped", p.exit))
	}
	// Every process of the group is in the cgroup, when there is one, and
	// its emptiness is one small read where the group's is a scan of /proc.
	awaitGone := func() error { return errors.Join(awaitGroupExit(p.pid), p.awaitEscaped()) }
	if p.cgroup != nil {
		awaitGone = p.removeCgroup
	}
	if err := awaitGone(); err != nil {
		errs = append(errs, fmt.Errorf("stop worker: %s: %w", p.name, err))
	}
	if p.outputErr != nil {
		errs = append(errs, fmt.Errorf("stop worker: %s: %w", p.name, p.outputErr))
	}
	return errors.Join(errs...)
}

// Stopped reports whether Stop has been called: the worker is ending, or
// has ended, because it was asked to, rather than on its own or by Kill.
func (p *Process) Stopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}

// ForcedStop reports whether Stop had to kill the worker's group because its
// leader was still running StopGrace after SIGTERM, and returns how long
// Stop waited: that grace, or 0 when every process the SIGTERM reached
// ignored it, which Stop does not wait for. Stop still returns nil then:
// the worker was ended as asked, only not gracefully, which says something
// about the worker rather than its memory.
func (p *Process) ForcedStop() (bool, time.Duration) {
	if p.forcedAtOnce.Load() {
		return true, 0
	}
	return p.forced.Load(), p.grace
}

// end ends the worker as its StopMode says and returns once the leader is
// reaped and its output is in the log.
func (p *Process) end() {
	switch p.stopMode {
	case StopKill:
		p.signalGroup(syscall.SIGKILL)
		p.killEscaped()
		p.mu.Lock()
		if !p.leaderExited {
			p.killCgroup()
		}
		p.mu.Unlock()
		<-p.done
		return
	case StopChildrenFirst:
		relay := openRelayPipes(p.pid)
		defer relay.close()
		p.signalLeader(syscall.SIGTERM)
		p.killChildren()
		// Once the pipes from the children are empty, the leader has read
		// their last lines; it writes each at once, so a moment more is
		// all it needs before it is killed too.
		deadline := time.Now().Add(p.grace)
		if relay.awaitDrained(p.done, deadline) {
			settle := time.NewTimer(min(relaySettle, time.Until(deadline)))
			defer settle.Stop()
			select {
			case <-p.done:
			case <-settle.C:
				p.signalGroup(syscall.SIGKILL)
				<-p.done
			}
			return
		}
	default:
		ignored := p.termIgnored()
		if p.termLeaderOnly {
			p.signalLeader(syscall.SIGTERM)
		} else {
			p.signalGroup(syscall.SIGTERM)
		}
		if ignored {
			// Nothing that got the SIGTERM will act on it: no handler
			// runs and no line is flushed, so the grace would be waited
			// for nothing.
			p.forcedAtOnce.Store(true)
			p.forced.Store(true)
			p.signalGroup(syscall.SIGKILL)
			<-p.done
			return
		}
	}
	grace := time.NewTimer(p.grace)
	defer grace.Stop()
	select {
	case <-p.done:
	case <-grace.C:
		p.forced.Store(true)
		p.signalGroup(syscall.SIGKILL)
		<-p.done
	}
}

// killChildren sends SIGKILL to every process of the tree but the leader:
// the group's other members, and the descendants that left it.
func (p *Process) killChildren() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.leaderExited {
		return
	}
	members, err := groupMembers(p.pid)
	if p.cgroup != nil {
		members, err = p.cgroup.Procs(members)
	}
	if err == nil {
		for _, pid := range members {
			if pid != p.pid {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	p.killEscapedLocked()
}

// escapee is a descendant of the worker in a process group of its own,
// held by a pidfd so that it can be signalled without the risk of reaching
// another process that reused its pid.
type escapee struct {
	pid, fd int
}

// noteEscaped finds, before Stop sends any signal, the descendants of the
// leader that left its process group (RQ's work horse calls setsid): a
// signal to the group does not reach them, and once the leader is gone no
// parent link leads to them any more. It takes one listing of /proc, as a
// Tree's scan does.
func (p *Process) noteEscaped() {
	tree := NewTree("", p.pid, p.pid)
	tree.rescan = 0
	pids, err := tree.find(time.Now())
	if err != nil {
		return // the group's SIGKILL still comes; only escapees would be missed
	}
	r := proc.NewReader("")
	var escaped []escapee
	for _, pid := range pids {
		stat, err := r.Stat(pid)
		if err != nil || stat.PGRP == p.pid {
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue // it has exited
		}
		escaped = append(escaped, escapee{pid: pid, fd: fd})
	}
	p.mu.Lock()
	p.escaped = escaped
	p.mu.Unlock()
}

// killEscaped sends SIGKILL to the escapees noteEscaped found.
func (p *Process) killEscaped() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.killEscapedLocked()
}

func (p *Process) killEscapedLocked() {
	for _, e := range p.escaped {
		_ = unix.PidfdSendSignal(e.fd, unix.SIGKILL, nil, 0)
	}
}

// killCgroup sends SIGKILL to every process in the worker's cgroup, if it
// has one. A cgroup, unlike a pid, cannot be reused while we hold it.
func (p *Process) killCgroup() {
	if p.cgroup != nil {
		_ = p.cgroup.Kill()
	}
}

// removeCgroup waits until the worker's cgroup is empty and removes it.
func (p *Process) removeCgroup() error {
	if p.cgroup == nil {
		return nil
	}
	if err := p.cgroup.AwaitEmpty(groupExitTimeout); err != nil {
		return err
	}
	if err := p.cgroup.Remove(); err != nil {
		return err
	}
	p.unwatch()
	return nil
}

// Containment says what holds the worker's processes for Stop and for the
// sampler: its own cgroup v2, or its process group alone and why.
func (p *Process) Containment() string {
	if p.cgroup != nil {
		return "cgroup v2 " + p.cgroup.Path()
	}
	return fmt.Sprintf("process group %d (no cgroup of its own: %v)", p.pid, p.cgroupErr)
}

// awaitEscaped waits until every escapee has exited, then closes their
// pidfds.
func (p *Process) awaitEscaped() error {
	p.mu.Lock()
	escaped := p.escaped
	p.escaped = nil
	p.mu.Unlock()
	var alive []int
	deadline := time.Now().Add(groupExitTimeout)
	for _, e := range escaped {
		for {
			// A pidfd polls readable once its process has exited.
			fds := []unix.PollFd{{Fd: int32(e.fd), Events: unix.POLLIN}}
			n, err := unix.Poll(fds, int(max(time.Until(deadline), 0)/time.Millisecond))
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if n == 0 || err != nil {
				alive = append(alive, e.pid)
			}
			break
		}
		unix.Close(e.fd)
	}
	if len(alive) > 0 {
		return fmt.Errorf("processes %v, which left the worker's group, are still alive %v after SIGKILL", alive, groupExitTimeout)
	}
	return nil
}
