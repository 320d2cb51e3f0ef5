// Package recording holds what leakspec measured while a worker ran: the
// memory of its process tree over time and the events that happened
// meanwhile.
//
// A Recording is plain data. The worker package fills one in while it samples
// a running worker; matchers judge it and reports draw and file it, without
// knowing anything about processes. It marshals to JSON so that it can cross
// Ginkgo's parallel processes as a report entry.
package recording

import "time"

// Sample is one measurement of the whole process tree of a worker.
type Sample struct {
	// At is the time since the recording started, read from the monotonic
	// clock, so wall-clock jumps never bend a series.
	At time.Duration `json:"at"`
	// RSS is the resident set size summed over every process in the tree.
	RSS uint64 `json:"rss"`
	// PSS (proportional set size) and USS (unique set size, private pages
	// only) are summed over the tree from smaps_rollup. Reading smaps_rollup
	// walks the page tables of the target, so it happens at the slow rate;
	// only samples with Detailed set carry them.
	PSS      uint64 `json:"pss,omitempty"`
	USS      uint64 `json:"uss,omitempty"`
	Detailed bool   `json:"detailed,omitempty"`
	// Processes is how many processes the tree had when it was sampled.
	Processes int `json:"processes"`
	// HeapLive and GCCycles come from the runtime of a Go worker (see
	// worker/goworker), read along with /proc at every sample; only
	// samples with GoRuntime set carry them. HeapLive is the heap that
	// the last garbage collection marked live (runtime/metrics
	// /gc/heap/live:bytes), the sharpest sign of a Go leak: RSS also holds
	// freed memory until the scavenger returns it. GCCycles counts the
	// collections completed so far (/gc/cycles/total:gc-cycles); HeapLive
	// is as fresh as the last of them, and 0 before the first. See
	// HeapLive to judge that series.
	HeapLive  uint64 `json:"heap_live,omitempty"`
	GCCycles  uint64 `json:"gc_cycles,omitempty"`
	GoRuntime bool   `json:"go_runtime,omitempty"`
	// Cgroup holds what the kernel charged to the worker's own cgroup v2
	// at the same instant (memory.current and memory.stat's anon, file
	// and kernel); only samples with CgroupMemory set carry it. It counts
	// each page once, and page cache and kernel memory besides, so it is
	// neither summed RSS nor PSS (see docs/performance.md); the verdicts
	// do not read it.
	CgroupCurrent uint64 `json:"cgroup_current,omitempty"`
	CgroupAnon    uint64 `json:"cgroup_anon,omitempty"`
	CgroupFile    uint64 `json:"cgroup_file,omitempty"`
	CgroupKernel  uint64 `json:"cgroup_kernel,omitempty"`
	CgroupMemory  bool   `json:"cgroup_memory,omitempty"`
}

// Event marks something that happened while recording, such as a job
// finishing or a message being retried.
type Event struct {
	At     time.Duration `json:"at"`
	Name   string        `json:"name"`
	Detail string        `json:"detail,omitempty"`
}

// Recording is the memory series of one worker run and its events.
type Recording struct {
	// Name says what was recorded, usually the spec's text.
	Name string `json:"name"`
	// Started is the wall-clock time the recording began, for reports only.
	Started time.Time `json:"started"`
	// Duration is how long the recording ran.
	Duration time.Duration `json:"duration"`
	// Interval and SlowInterval are the sampling periods for RSS and for
	// PSS/USS.
	Interval     time.Duration `json:"interval"`
	SlowInterval time.Duration `json:"slow_interval"`
	// Ceiling is the tree RSS above which the worker was to be killed.
	Ceiling uint64 `json:"ceiling"`
	// Source says how the tree's processes were found and its memory read:
	// from the worker's own cgroup v2, or by a walk of /proc, and why.
	Source  string   `json:"source,omitempty"`
	Samples []Sample `json:"samples"`
	Events  []Event  `json:"events,omitempty"`
	// Aborted says why the worker was stopped before the scenario ended,
	// for instance because it crossed the ceiling; empty when it was not.
	Aborted string `json:"aborted,omitempty"`
	// Measure is what the samples' RSS field carries in a copy that Series
	// made, such as PSS; empty for the tree's RSS itself.
	Measure Series `json:"measure,omitempty"`
}

// Peak returns the highest tree RSS sampled, or 0 for an empty recording.
func (r Recording) Peak() uint64 {
	var peak uint64
	for _, s := range r.Samples {
		peak = max(peak, s.RSS)
	}
	return peak
}

// IdleSince returns when the worker's load was last over, by the latest
// LoadStop or IdleTail event, and false when the recording has neither.
// What the worker holds from then on is what it kept, not what a job in
// flight borrows: matchers.PlateauWithin reads the level it settled at
// there.
func (r Recording) IdleSince() (time.Duration, bool) {
	var since time.Duration
	found := false
	for _, e := range r.Events {
		if e.Name == LoadStop || e.Name == IdleTail {
			since, found = max(since, e.At), true
		}
	}
	return since, found
}

// Count returns how many events carry the given name.
func (r Recording) Count(name string) int {
	n := 0
	for _, e := range r.Events {
		if e.Name == name {
			n++
		}
	}
	return n
}
