package worker

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/leakspec/leakspec/internal/cgroup"
	"github.com/leakspec/leakspec/internal/proc"
	"github.com/leakspec/leakspec/worker/recording"
)

// DefaultRescan is how often a Tree lists every process of the machine to
// find the members of its tree that no parent link leads to. In between, it
// follows the children links of the members it knows, whose cost grows with
// the size of the tree rather than of the machine.
const DefaultRescan = time.Second

// Tree measures the memory of the process tree of one worker, sample after
// sample: root, every process in group pgid, and every descendant of those
// (see SampleTree). It remembers the tree between samples, so that most
// samples read a few files per member instead of one per process of the
// machine.
//
// Each sample walks the children links (/proc/<pid>/task/<tid>/children)
// down from root and from the group members that the last scan of the whole
// of /proc found orphaned, and keeps any member of the last sample that the
// walk missed while it is still in the group. Only a process that joined
// the group, and lost its parent, since the last sample is found late: at
// the next scan, DefaultRescan at most after the previous one. A kernel
// without children files (CONFIG_PROC_CHILDREN) has every sample scan.
//
// A Tree is not safe for concurrent use.
type Tree struct {
	r          *proc.Reader
	root, pgid int
	rescan     time.Duration // how often to scan all of /proc; zero scans at every sample

	scanned   time.Time // when the last scan was, zero before the first
	noLinks   bool      // the kernel has no children files
	entries   []int     // members that no parent link from root reaches
	members   []int     // the tree of the last sample, ascending
	pending   []int
	visited   map[int]bool
	pidsCache []int
	// cgroup, when set, lists the tree's members (see useCgroup).
	cgroup *cgroup.Group
}

// NewTree returns a Tree of the process tree of root in group pgid, read
// from the /proc mounted at procRoot ("" is /proc). It reads nothing yet.
func NewTree(procRoot string, root, pgid int) *Tree {
	return &Tree{r: proc.NewReader(procRoot), root: root, pgid: pgid, rescan: DefaultRescan, visited: map[int]bool{}}
}

// Sample measures the tree's memory once and returns it with At left zero.
// RSS, summed over the tree, is read from each member's statm; when
// detailed is true, PSS and USS are read from its smaps_rollup too (see
// SampleTree for what each means and costs). A process that exits while it
// is read is left out, and a zombie counts as a process with no memory. An
// empty tree is not an error: the sample says zero processes.
func (t *Tree) Sample(detailed bool) (recording.Sample, error) {
	pids, err := t.find(time.Now())
	if err != nil {
		return recording.Sample{}, fmt.Errorf("sample tree: %w", err)
	}
	sample := recording.Sample{Detailed: detailed}
	for _, pid := range pids {
		rss, err := t.r.Resident(pid)
		if proc.Vanished(err) {
			continue
		}
		if err != nil {
			return recording.Sample{}, fmt.Errorf("sample tree: read memory of process %d: %w", pid, err)
		}
		sample.Processes++
		sample.RSS += rss
		if !detailed {
			continue
		}
		rollup, err := t.r.SmapsRollup(pid)
		if proc.Vanished(err) {
			continue
		}
		if err != nil {
			return recording.Sample{}, fmt.Errorf("sample tree: read smaps_rollup of process %d: %w", pid, err)
		}
		sample.PSS += rollup.PSS
		sample.USS += rollup.USS
	}
	if err := t.addCgroupMemory(&sample); err != nil {
		return recording.Sample{}, fmt.Errorf("sample tree: %w", err)
	}
	return sample, nil
}

// find returns the pids of the tree, ascending, by a scan of all of /proc
// when one is due and by a walk of the children links otherwise.
func (t *Tree) find(now time.Time) ([]int, error) {
	if t.cgroup != nil {
		return t.cgroupMembers()
	}
	if t.noLinks || t.scanned.IsZero() || now.Sub(t.scanned) >= t.rescan {
		return t.scan(now)
	}
	pids, err := t.walk()
	if errors.Is(err, proc.ErrNoChildren) {
		t.noLinks = true
		return t.scan(now)
	}
	return pids, err
}

// scan finds the tree from every process's stat file, and notes its entry
// points for the walks that follow.
func (t *Tree) scan(now time.Time) ([]int, error) {
	tree, entries, err := scanTree(t.r, t.root, t.pgid)
	if err != nil {
		return nil, err
	}
	t.scanned, t.entries, t.members = now, entries, tree
	return tree, nil
}

// walk finds the tree by following children links down from root and from
// the known entry points, then looks again at the members of the last
// sample that it did not reach: one that is still in group pgid was
// orphaned since, and becomes an entry point itself.
func (t *Tree) walk() ([]int, error) {
	clear(t.visited)
	var members []int
	// walkFrom adds start and its descendants to members and reports
	// whether start itself was there to add.
	walkFrom := func(start int) (bool, error) {
		first := len(members)
		t.pending = append(t.pending[:0], start)
		for len(t.pending) > 0 {
			pid := t.pending[len(t.pending)-1]
			t.pending = t.pending[:len(t.pending)-1]
			if t.visited[pid] {
				continue
			}
			t.visited[pid] = true
			before := len(t.pending)
			var err error
			t.pending, err = t.r.Children(pid, t.pending)
			if proc.Vanished(err) {
				t.pending = t.pending[:before]
				continue
			}
			if err != nil {
				return false, err
			}
			members = append(members, pid)
		}
		return len(members) > first && members[first] == start, nil
	}

	if _, err := walkFrom(t.root); err != nil {
		return nil, err
	}
	var entries []int
	keep := func(pid int) error {
		if t.visited[pid] {
			return nil
		}
		stat, err := t.r.Stat(pid)
		if proc.Vanished(err) || (err == nil && stat.PGRP != t.pgid) {
			return nil
		}
		if err != nil {
			return err
		}
		in, err := walkFrom(pid)
		if in {
			entries = append(entries, pid)
		}
		return err
	}
	// Entry points first: an orphan's children are then walked from it
	// rather than looked at one by one.
	for _, pid := range t.entries {
		if err := keep(pid); err != nil {
			return nil, err
		}
	}
	if t.pgid > 0 {
		for _, pid := range t.members {
			if err := keep(pid); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(members)
	t.entries, t.members = entries, members
	return members, nil
}
