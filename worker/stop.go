package worker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// relaySettle is how long StopChildrenFirst leaves the leader, once it has
// read everything its children wrote to it, to write the last of it out.
const relaySettle = 100 * time.Millisecond

// relayPipes are the pipes a leader reads from its children, each opened
// anew through /proc so that the bytes still in it can be counted
// (FIONREAD) after the children are gone.
type relayPipes []int

// openRelayPipes opens, read-only and non-blocking, every pipe that leader
// holds and one of the other processes of its group holds too. A pipe of
// the leader's that no child shares, or a read end opened here, changes
// nothing for the worker: only writers decide when a reader sees the end.
func openRelayPipes(leader int) relayPipes {
	shared := map[string]bool{}
	members, _ := groupMembers(leader)
	for _, pid := range members {
		if pid == leader {
			continue
		}
		for _, link := range pipeLinks(pid) {
			shared[link.target] = true
		}
	}
	var fds relayPipes
	for _, link := range pipeLinks(leader) {
		if !shared[link.target] {
			continue
		}
		fd, err := unix.Open(link.path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err == nil {
			fds = append(fds, fd)
		}
	}
	return fds
}

type fdLink struct{ path, target string }

// pipeLinks lists the open file descriptors of pid that are pipes.
func pipeLinks(pid int) []fdLink {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var links []fdLink
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		target, err := os.Readlink(path)
		if err == nil && strings.HasPrefix(target, "pipe:") {
			links = append(links, fdLink{path: path, target: target})
		}
	}
	return links
}

// awaitDrained waits until every pipe is empty, and reports whether they
// all were before deadline or done closed.
func (r relayPipes) awaitDrained(done <-chan struct{}, deadline time.Time) bool {
	for {
		empty := true
		for _, fd := range r {
			// TIOCINQ is FIONREAD: the bytes a pipe holds unread.
			if n, err := unix.IoctlGetInt(fd, unix.TIOCINQ); err == nil && n > 0 {
				empty = false
				break
			}
		}
		if empty {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-done:
			return true
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (r relayPipes) close() {
	for _, fd := range r {
		unix.Close(fd)
	}
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
