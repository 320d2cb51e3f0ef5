package worker

import (
	"fmt"
	"slices"

	"github.com/leakspec/leakspec/internal/cgroup"
	"github.com/leakspec/leakspec/internal/proc"
	"github.com/leakspec/leakspec/worker/recording"
)

// useCgroup makes t find its members in the cgroup that root was born in
// (see Start), when root has one and t reads the machine's own /proc, and
// returns the Recording's Source: which way the tree is found and its
// memory read, and why. The choice needs no setting: a worker that Start
// put in a cgroup of its own is sampled from it.
//
// The cgroup lists every process the worker started and no other, in one
// read whose cost grows with the tree, not with the machine, and misses no
// orphan that left the process group. Where the cgroup also has memory
// counters, each sample carries them (Sample.CgroupMemory); RSS, PSS and
// USS, which the verdicts read, still come from each member's /proc files.
func (t *Tree) useCgroup() string {
	if t.r.Root() != proc.DefaultRoot {
		return fmt.Sprintf("/proc walk of %s", t.r.Root())
	}
	g := cgroup.Of(t.root)
	if g == nil {
		return "/proc walk: members by parent links and process group (the worker runs in no cgroup of its own)"
	}
	t.cgroup = g
	source := fmt.Sprintf("cgroup v2 %s: members from cgroup.procs, RSS, PSS and USS from /proc", g.Path())
	if err := g.MemoryErr(); err != nil {
		return source + fmt.Sprintf("; no cgroup memory counters: %v", err)
	}
	return source + "; memory.current and memory.stat in every sample"
}

// cgroupMembers returns the processes of t's cgroup, ascending.
func (t *Tree) cgroupMembers() ([]int, error) {
	pids, err := t.cgroup.Procs(t.pidsCache[:0])
	if err != nil {
		return nil, err
	}
	slices.Sort(pids)
	t.pidsCache = pids
	return pids, nil
}

// addCgroupMemory adds the cgroup's own counters to sample, when it has
// them.
func (t *Tree) addCgroupMemory(sample *recording.Sample) error {
	if t.cgroup == nil || t.cgroup.MemoryErr() != nil {
		return nil
	}
	m, err := t.cgroup.Memory()
	if err != nil {
		return err
	}
	sample.CgroupCurrent, sample.CgroupAnon, sample.CgroupFile, sample.CgroupKernel = m.Current, m.Anon, m.File, m.Kernel
	sample.CgroupMemory = true
	return nil
}
