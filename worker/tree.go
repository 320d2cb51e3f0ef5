package worker

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"syscall"

	"github.com/prometheus/procfs"
)

// procLink is what finding a process tree needs to know about one process,
// as its /proc/PID/stat states it: its parent and its process group.
type procLink struct {
	pid, ppid, pgrp int
}

// treePIDs returns, in ascending order, the pids of the process tree of root
// in group pgid: root, every process whose process group is pgid, and every
// descendant of those by parent links. Only pids present in links are
// returned.
//
// Parent links alone lose processes: when a worker's child exits before its
// own child (a work horse's subprocess, a helper that daemonised), the kernel
// reparents the orphan to init or to the nearest subreaper, and only its
// process group still says where it came from. Descendants of group members
// count too, so that an orphan's own children are not lost in turn. A
// descendant that moved to a group of its own (setsid) stays in by its
// parent link.
//
// links comes from one listing of /proc, which is not atomic: a pid may exit
// and be reused while the listing is read, so parent links can form a cycle.
// Each pid is visited once, so a cycle ends the walk.
//
// A root or pgid that is not positive matches nothing: kernel threads have
// process group 0 and init's parent is 0, so either would sweep in the whole
// machine.
func treePIDs(links []procLink, root, pgid int) []int {
	listed := make(map[int]bool, len(links))
	children := make(map[int][]int, len(links))
	var pending []int
	for _, l := range links {
		listed[l.pid] = true
		children[l.ppid] = append(children[l.ppid], l.pid)
		if pgid > 0 && l.pgrp == pgid {
			pending = append(pending, l.pid)
		}
	}
	// The root is walked even when it is not listed: it may have exited while
	// the listing was read, with its children still naming it as parent.
	if root > 0 {
		pending = append(pending, root)
	}

	visited := make(map[int]bool, len(pending))
	var tree []int
	for len(pending) > 0 {
		pid := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		if visited[pid] {
			continue
		}
		visited[pid] = true
		if listed[pid] {
			tree = append(tree, pid)
		}
		pending = append(pending, children[pid]...)
	}
	slices.Sort(tree)
	return tree
}

// findTree lists every process of procFS and returns those in the process
// tree of root in group pgid, as treePIDs defines it. Processes that exit
// while they are listed are left out.
func findTree(procFS procfs.FS, root, pgid int) ([]procfs.Proc, error) {
	all, err := procFS.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	links := make([]procLink, 0, len(all))
	byPID := make(map[int]procfs.Proc, len(all))
	for _, p := range all {
		stat, err := p.Stat()
		if vanished(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read process %d: %w", p.PID, err)
		}
		links = append(links, procLink{pid: p.PID, ppid: stat.PPID, pgrp: stat.PGRP})
		byPID[p.PID] = p
	}
	pids := treePIDs(links, root, pgid)
	tree := make([]procfs.Proc, len(pids))
	for i, pid := range pids {
		tree[i] = byPID[pid]
	}
	return tree, nil
}

// vanished reports whether err says that a process exited while it was being
// read. Its /proc directory is gone (ENOENT), or still open but no longer
// backed by a process (ESRCH), which is also what the kernel answers for the
// memory map of a zombie. Children come and go all the time (RQ forks a
// work horse per job), so this is not an error.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}
