package worker

import (
	"fmt"
	"slices"

	"github.com/leakspec/leakspec/internal/proc"
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

// scanTree lists every process of the /proc that r reads and returns, in
// ascending order, the pids of the process tree of root in group pgid, as
// treePIDs defines it, and the entry points of that tree: root, and the
// members whose parent is not in the tree (group members that were
// orphaned). Processes that exit while they are listed are left out.
//
// Its cost grows with the number of processes on the machine, a stat file
// read for each, which is why a Tree scans only now and then and follows
// children links in between.
func scanTree(r *proc.Reader, root, pgid int) (tree, entries []int, err error) {
	all, err := r.PIDs(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("list processes: %w", err)
	}
	links := make([]procLink, 0, len(all))
	parent := make(map[int]int, len(all))
	for _, pid := range all {
		stat, err := r.Stat(pid)
		if proc.Vanished(err) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read process %d: %w", pid, err)
		}
		links = append(links, procLink{pid: pid, ppid: stat.PPID, pgrp: stat.PGRP})
		parent[pid] = stat.PPID
	}
	tree = treePIDs(links, root, pgid)
	for _, pid := range tree {
		if pid == root {
			continue
		}
		if _, in := slices.BinarySearch(tree, parent[pid]); !in || parent[pid] == pid {
			entries = append(entries, pid)
		}
	}
	return tree, entries, nil
}
