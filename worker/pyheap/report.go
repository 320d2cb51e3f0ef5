package pyheap

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/leakspec/leakspec/internal/bytesize"
)

// Report is what a spec keeps of a worker's heap: the sites that grew
// since the first snapshot, what retains the largest new objects, and what
// gc.collect() freed at the end.
type Report struct {
	Before, After *Snapshot   `json:"-"`
	Growth        []Growth    `json:"growth"`
	Retained      []Retained  `json:"retained"`
	Collected     []Collected `json:"collected"`
	// TracedGrowth is the growth of all traced memory, summed over
	// processes, from Before to After.
	TracedGrowth int64 `json:"traced_growth"`
	// Problems are the steps that failed, as sentences: a report with a
	// failed step still has the others.
	Problems []string `json:"problems,omitempty"`

	opts Options
}

// Options say how much a Report shows.
type Options struct {
	// MinGrowth is the least growth of a site that Text shows; 1 MB when
	// zero. A negative control's sites stay below it.
	MinGrowth int64
	// Sites is how many sites Text shows at most; 5 when zero.
	Sites int
	// Retainers bound the retainer search.
	Retainers RetainerLimits
}

// Report takes the final snapshot, looks for retainers, then runs
// gc.collect() (last, since it frees what the others should see), in one
// command per process with the automatic collector held off, and puts them
// together with before. A process that fails is a Problem and the others
// still count; the error joins them.
func (p *Probe) Report(ctx context.Context, before *Snapshot, opts Options) (*Report, error) {
	r := &Report{Before: before, opts: opts}
	type answer struct {
		snapshot  ProcessSnapshot
		retainers retainersAnswer
		collected Collected
	}
	path := func(pid int) string { return filepath.Join(p.Dir, fmt.Sprintf("after-%d.json", pid)) }
	answers, err := fanOutPid(ctx, p, "report heap", func(pid int) map[string]any {
		req := opts.Retainers.request()
		req["cmd"], req["path"] = "report", path(pid)
		req["min_growth"] = cmp(opts.MinGrowth, int64(bytesize.MB))
		if before != nil {
			// The probe finds the sites that grew from the file Snapshot left.
			req["before"] = p.snapshotPath(before.Label, pid)
		}
		return req
	}, func(pid int, line []byte) (answer, error) {
		var a answer
		var raw struct {
			Retainers retainersAnswer `json:"retainers"`
			Collect   Collected       `json:"collect"`
		}
		if err := json.Unmarshal(line, &raw); err != nil {
			return a, err
		}
		a.retainers, a.collected = raw.Retainers, raw.Collect
		data, err := os.ReadFile(path(pid))
		if err == nil {
			err = json.Unmarshal(data, &a.snapshot)
		}
		return a, err
	})
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	after := &Snapshot{Label: "after"}
	var per []retainersAnswer
	for _, a := range answers {
		after.Processes = append(after.Processes, a.snapshot)
		per = append(per, a.retainers)
		r.Collected = append(r.Collected, a.collected)
	}
	r.After = after
	r.Growth = Diff(before, after)
	r.TracedGrowth = tracedGrowth(before, after)
	r.Retained = mergeRetained(per)
	return r, err
}

// traced says whether the first snapshot was taken with tracing on.
func (r *Report) traced() bool {
	if r.Before == nil {
		return false
	}
	for _, ps := range r.Before.Processes {
		if ps.Tracing {
			return true
		}
	}
	return false
}

func tracedGrowth(before, after *Snapshot) int64 {
	var d int64
	for _, ps := range after.Processes {
		d += int64(ps.Traced)
	}
	for _, ps := range before.Processes {
		d -= int64(ps.Traced)
	}
	return d
}

// Freed sums what gc.collect() freed over processes: objects, and bytes
// of traced memory, or when tracing was off the size of the garbage
// (Collected.GarbageBytes): RSS understates it, since glibc keeps freed
// chunks in the heap.
func (r *Report) Freed() (objects int, bytes int64) {
	traced := r.traced()
	for _, c := range r.Collected {
		objects += c.Collected
		if traced {
			bytes += int64(c.TracedBefore) - int64(c.TracedAfter)
		} else {
			bytes += c.GarbageBytes
		}
	}
	return objects, bytes
}

// Growth is how much the worker grew from Before to After: traced memory,
// or RSS when tracing was off, summed over processes.
func (r *Report) grown() int64 {
	if r.traced() || r.Before == nil || r.After == nil {
		return r.TracedGrowth
	}
	var d int64
	for _, ps := range r.After.Processes {
		d += int64(ps.RSS)
	}
	for _, ps := range r.Before.Processes {
		d -= int64(ps.RSS)
	}
	return d
}

// AutoCollected returns how many objects the automatic collections of
// every process had freed before the report's own, how many full
// collections they made, and how many objects the collector tracked
// before the report's own collection.
func (r *Report) AutoCollected() (objects, full, live int) {
	for _, c := range r.Collected {
		objects += c.AutoCollected
		full += c.AutoFullCollections
		live += c.ObjectsBefore
	}
	return objects, full, live
}

// CyclicGarbage says whether most of the growth was garbage in reference
// cycles: gc.collect() freed at least half of it. Without tracing it
// compares the size of the garbage with the growth of RSS, which also
// holds what the allocators keep, so it understates garbage among much
// else that grew.
func (r *Report) CyclicGarbage() bool {
	_, freed := r.Freed()
	grown := r.grown()
	return grown > 0 && freed*2 >= grown
}

// rssNoise is the least growth of RSS that the GC diagnosis weighs when
// tracing was off: less is what the allocators keep of a worker's first
// jobs, seen on negative controls, not growth worth a verdict.
const rssNoise = 16 * int64(bytesize.MB)

// Text is the report in a few lines, for a failure message:
//
//	+640.0 MB in 40 blocks at selftest_jobs.py:12 (_kept.append(...)) <- worker.py:88
//	  retained by: bytes (16.8 MB) <- list[3] <- selftest_jobs._kept (module global)
//	gc.collect() freed 0 objects and +0.0 MB: the growth is reachable, not garbage.
func (r *Report) Text() string {
	minGrowth := cmp(r.opts.MinGrowth, int64(bytesize.MB))
	sites := cmp(r.opts.Sites, 5)
	var b strings.Builder
	shown := 0
	for _, g := range r.Growth {
		if g.SizeDiff < minGrowth || shown == sites {
			break
		}
		shown++
		fmt.Fprintf(&b, "%s in %+d blocks at %s\n", bytesize.FormatSigned(g.SizeDiff), g.CountDiff, traceback(g.Frames, 3))
		if len(g.Frames) > 0 && !slices.ContainsFunc(g.Frames, func(f Frame) bool { return !f.Stdlib }) {
			fmt.Fprintf(&b, "  all %d frames kept are Python's standard library: trace more, fixtures.TraceHeapFrames(%d), to reach the code that asked it for this memory\n",
				len(g.Frames), len(g.Frames)+3)
		}
		if chain := r.chainFor(g.Frames); chain != "" {
			fmt.Fprintf(&b, "  retained by: %s\n", chain)
		}
	}
	if shown == 0 && !r.traced() {
		b.WriteString("Allocation sites: tracing was off, so only what gc.collect() frees is known.\n")
	} else if shown == 0 {
		fmt.Fprintf(&b, "No allocation site grew by %s or more (traced memory %s).\n",
			bytesize.Format(uint64(minGrowth)), bytesize.FormatSigned(r.TracedGrowth))
	}
	if len(r.Collected) > 0 {
		objects, freed := r.Freed()
		verdict := "the growth is reachable, not garbage."
		if !r.traced() {
			// RSS also holds what the allocators kept of freed memory.
			verdict = "the growth is not cyclic garbage (it is reachable, or memory the allocator kept)."
		}
		switch {
		case r.grown() < minGrowth:
			verdict = "nothing grew for it to free."
		case !r.traced() && r.grown() < rssNoise:
			// "Nothing grew" beside "an RSS growth of +6.5 MB" read as a
			// contradiction to a new user.
			verdict = fmt.Sprintf("a growth under %s is within what a worker's RSS varies by, too little to tell garbage from memory kept.", bytesize.Format(uint64(rssNoise)))
		case r.CyclicGarbage():
			// Unreachable is not free: the collector runs after 700 new
			// objects, whatever their size, so cycles that hold large
			// ones pile up, as the Dramatiq origin's exceptions did to
			// 4.9 GB.
			verdict = "that much was garbage in reference cycles, which only Python's cyclic collector frees, and it counts objects, not bytes: break the cycles that hold it."
		default:
			// A collection at the end finds only the garbage made since
			// the last automatic one: cycles that piled up and were freed
			// during the run (Celery 5.2's exception info, 300 KB and
			// 2,000 objects a failed task) leave the memory the allocator
			// kept, and no garbage. Every worker's collector frees some
			// objects; more than the worker holds says that garbage in
			// cycles is what it mostly made.
			if auto, full, live := r.AutoCollected(); auto > live {
				verdict += fmt.Sprintf(" But before it, the worker's own collector had freed %d objects in %d full collections, more than the %d it holds: garbage in reference cycles came and went during the run, and RSS may keep what the allocator got back.", auto, full, live)
			}
		}
		of := "of traced memory"
		if !r.traced() {
			of = "of garbage (by size) of an RSS growth of " + bytesize.FormatSigned(r.grown())
		}
		fmt.Fprintf(&b, "gc.collect() freed %d objects and %s %s: %s\n", objects, bytesize.Format(uint64(max(freed, 0))), of, verdict)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "Heap probe: %s\n", p)
	}
	return strings.TrimRight(b.String(), "\n")
}

var index = regexp.MustCompile(`\[\d+\]`)

// chainFor is the retainer chain of the best retained object that was
// allocated at the site (with its whole traceback, or else at its
// innermost frame: another site's object from the same line), with a
// count of the others retained alike (same chain but for list and tuple
// indexes).
func (r *Report) chainFor(frames []Frame) string {
	if len(frames) == 0 {
		return ""
	}
	at := func(rt *Retained) bool {
		return len(rt.Allocated) > 0 && rt.Allocated[0].File == frames[0].File && rt.Allocated[0].Line == frames[0].Line
	}
	// The best object: allocated with the site's whole traceback, then
	// with a chain that reaches a root, then the largest (the order of
	// Retained).
	rank := func(rt *Retained) int {
		n := 0
		if sameTraceback(rt.Allocated, frames) {
			n += 2
		}
		if rt.Complete {
			n++
		}
		return n
	}
	var first *Retained
	for i := range r.Retained {
		rt := &r.Retained[i]
		if at(rt) && (first == nil || rank(rt) > rank(first)) {
			first = rt
		}
	}
	if first == nil {
		return ""
	}
	alike := 0
	for i := range r.Retained {
		rt := &r.Retained[i]
		if rt == first || !at(rt) {
			continue
		}
		if index.ReplaceAllString(strings.Join(rt.Chain, "|"), "[]") == index.ReplaceAllString(strings.Join(first.Chain, "|"), "[]") {
			alike++
		}
	}
	s := strings.Join(first.Chain, " <- ")
	switch {
	case first.Complete:
	case first.Stopped == "time":
		s += " <- ... (the search ran out of time before a root)"
	default:
		s += " <- ... (no root reached: held by garbage, by what the collector does not follow, or deeper than the search)"
	}
	if alike > 0 {
		s += fmt.Sprintf(" (and %d more alike)", alike)
	}
	return s
}

// sameTraceback says whether a and b name the same frames.
func sameTraceback(a, b []Frame) bool {
	return slices.EqualFunc(a, b, func(x, y Frame) bool { return x.File == y.File && x.Line == y.Line })
}

// JSON is the report for a file, with both snapshots' totals.
func (r *Report) JSON() ([]byte, error) {
	type totals struct {
		Label     string            `json:"label"`
		Processes []ProcessSnapshot `json:"processes"`
	}
	strip := func(s *Snapshot) *totals {
		if s == nil {
			return nil
		}
		t := &totals{Label: s.Label}
		for _, ps := range s.Processes {
			ps.Sites = nil
			t.Processes = append(t.Processes, ps)
		}
		return t
	}
	type alias Report
	return json.MarshalIndent(struct {
		Before *totals `json:"before"`
		After  *totals `json:"after"`
		*alias
	}{strip(r.Before), strip(r.After), (*alias)(r)}, "", "  ")
}

// WriteFiles writes base+".pyheap.txt" (Text, then every grown site with its
// full traceback) and base+".pyheap.json" (JSON).
func (r *Report) WriteFiles(base string) error {
	var b strings.Builder
	b.WriteString(r.Text())
	if len(r.Growth) > 0 {
		b.WriteString("\n\nEvery site that grew, largest first:\n")
	}
	for _, g := range r.Growth {
		fmt.Fprintf(&b, "%s in %+d blocks (now %s in %d)\n", bytesize.FormatSigned(g.SizeDiff), g.CountDiff, bytesize.Format(uint64(g.Size)), g.Count)
		for _, f := range g.Frames {
			fmt.Fprintf(&b, "    %s:%d\n", f.File, f.Line)
		}
	}
	if len(r.Retained) > 0 {
		b.WriteString("\nNew objects still alive, and what keeps them (the largest, then one of each site that grew in small blocks):\n")
		for _, rt := range r.Retained {
			fmt.Fprintf(&b, "process %d: %s\n    allocated at %s\n", rt.Pid, strings.Join(rt.Chain, " <- "), traceback(rt.Allocated, 4))
		}
	}
	if err := os.WriteFile(base+".pyheap.txt", []byte(b.String()+"\n"), 0o644); err != nil {
		return fmt.Errorf("write heap report: %w", err)
	}
	data, err := r.JSON()
	if err != nil {
		return fmt.Errorf("encode heap report: %w", err)
	}
	if err := os.WriteFile(base+".pyheap.json", append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write heap report: %w", err)
	}
	return nil
}
