package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

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
