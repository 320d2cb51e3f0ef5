package pyheap

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultFrames is how many frames tracemalloc keeps per allocation: the
// allocating line and two callers, for the short traceback of a report.
// More cost much more: on BenchmarkChurnJobs 3 frames cost 1.2 times what
// 1 does, 8 frames about 6 times (docs/attribution.md).
const DefaultFrames = 3

// requestTimeout bounds one command to one process when ctx has no
// deadline. Retainers, the slowest, stops itself after its own budget.
const requestTimeout = 2 * time.Minute

// Frame is one line of a traceback. Code is the source line, for the
// innermost frame of a site only.
type Frame struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Code string `json:"code,omitempty"`
	// Stdlib says that File is Python's standard library. Rel is, for a
	// file outside it, its path from the sys.path entry it was imported
	// from, such as "kombu/utils/json.py".
	Stdlib bool   `json:"stdlib,omitempty"`
	Rel    string `json:"rel,omitempty"`
}

// String is "kombu/utils/json.py:70", the file's path from the sys.path
// entry it was imported from where the probe knew it, and otherwise its
// base name, "decoder.py:353": a base name alone would confuse kombu's
// json.py with the standard library's, or Celery's redis.py with redis-py.
func (f Frame) String() string {
	if f.Rel != "" {
		return fmt.Sprintf("%s:%d", f.Rel, f.Line)
	}
	return fmt.Sprintf("%s:%d", filepath.Base(f.File), f.Line)
}

// Site is the memory that one traceback allocated and is still alive.
// Frames are innermost first.
type Site struct {
	Size   int64   `json:"size"`
	Count  int64   `json:"count"`
	Frames []Frame `json:"frames"`
}

// ProcessSnapshot is one process's heap at one moment: its totals and its
// largest allocation sites (all of them when SitesTotal == len(Sites)).
type ProcessSnapshot struct {
	Pid        int    `json:"pid"`
	RSS        uint64 `json:"rss"`
	Traced     uint64 `json:"traced"`
	GCObjects  int    `json:"gc_objects"`
	Tracing    bool   `json:"tracing"`
	SitesTotal int    `json:"sites_total"`
	Sites      []Site `json:"sites"`
}

// Snapshot is every live process's heap at one moment.
type Snapshot struct {
	Label     string            `json:"label"`
	Processes []ProcessSnapshot `json:"processes"`
}

// Collected is what gc.collect() freed in one process.
type Collected struct {
	Pid       int `json:"pid"`
	Collected int `json:"collected"`
	// GarbageBytes is the size of what it freed, by sys.getsizeof: the
	// unreachable objects and what only they held.
	GarbageBytes  int64  `json:"garbage_bytes"`
	ObjectsBefore int    `json:"objects_before"`
	ObjectsAfter  int    `json:"objects_after"`
	RSSBefore     uint64 `json:"rss_before"`
	RSSAfter      uint64 `json:"rss_after"`
	TracedBefore  uint64 `json:"traced_before"`
	TracedAfter   uint64 `json:"traced_after"`
	// AutoCollected is how many objects the process's own automatic
	// collections had freed since it started, before this one, and
	// AutoFullCollections how many of them were full (the oldest
	// generation's): garbage in cycles that came and went during a run.
	AutoCollected       int `json:"auto_collected"`
	AutoFullCollections int `json:"auto_full_collections"`
}

// Retained is one object allocated since Start and still alive, and the
// referrers that keep it: Chain[0] is the object, each next entry the one
// that refers to the previous. It is one of the largest such objects, or
// with BySite one of the few objects explained of a site that grew in
// blocks too small for that search (RetainerLimits.Sites). Complete says the chain ends at a root
// (a module global, a live thread's frame, a running coroutine); an
// incomplete one ran out of depth or time, or the object is only held by
// garbage.
type Retained struct {
	Pid       int      `json:"pid"`
	Type      string   `json:"type"`
	Size      int64    `json:"size"`
	Allocated []Frame  `json:"allocated"`
	Chain     []string `json:"chain"`
	Complete  bool     `json:"complete"`
	// Stopped says why an incomplete chain stopped: "time" when the
	// search ran out of its budget, "depth or garbage" when it followed
	// every referrer it could within the depth and found no root.
	Stopped string `json:"stopped,omitempty"`
	BySite  bool   `json:"by_site,omitempty"`
}

// RetainerLimits bound the retainer search in each process.
type RetainerLimits struct {
	Objects  int           // the largest objects to explain; 3 when zero
	MinBytes int64         // smaller objects are not among the largest; 1 MiB when zero
	Time     time.Duration // per process; 30 s when zero
	Depth    int           // hops at most; 24 when zero
	// Sites is how many of the sites that grew the most in blocks smaller
	// than MinBytes Report explains, 3 when zero, each with up to three
	// objects held in different ways: a leak of many small objects has no
	// large one to find.
	Sites int
}

// Start starts tracemalloc with frames frames per allocation
// (DefaultFrames when zero) in every live process of the worker. Memory
// allocated before is not attributed: call it after the warm-up.
func (p *Probe) Start(ctx context.Context, frames int) error {
	if frames <= 0 {
		frames = DefaultFrames
	}
	_, err := fanOut(ctx, p, "start tracing", map[string]any{"cmd": "start", "frames": frames},
		func(int, []byte) (struct{}, error) { return struct{}{}, nil })
	return err
}

var unsafeLabel = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Snapshot takes a snapshot of every live process, also kept as
// <Dir>/<label>-<pid>.json.
func (p *Probe) Snapshot(ctx context.Context, label string) (*Snapshot, error) {
	procs, err := fanOutPid(ctx, p, "take snapshot", func(pid int) map[string]any {
		return map[string]any{"cmd": "snapshot", "path": p.snapshotPath(label, pid)}
	}, func(pid int, _ []byte) (ProcessSnapshot, error) {
		var ps ProcessSnapshot
		data, err := os.ReadFile(p.snapshotPath(label, pid))
		if err == nil {
			err = json.Unmarshal(data, &ps)
		}
		return ps, err
	})
	if err != nil {
		return nil, err
	}
	return &Snapshot{Label: label, Processes: procs}, nil
}

// snapshotPath is where the snapshot labelled label of process pid is kept.
func (p *Probe) snapshotPath(label string, pid int) string {
	return filepath.Join(p.Dir, fmt.Sprintf("%s-%d.json", unsafeLabel.ReplaceAllString(label, "_"), pid))
}

// Collect runs gc.collect() in every live process and says what it freed.
func (p *Probe) Collect(ctx context.Context) ([]Collected, error) {
	return fanOut(ctx, p, "collect garbage", map[string]any{"cmd": "collect"},
		func(_ int, line []byte) (Collected, error) {
			var c Collected
			return c, json.Unmarshal(line, &c)
		})
}

// Retainers finds, in every live process, the largest objects allocated
// since Start that are still alive, and what keeps each reachable.
func (p *Probe) Retainers(ctx context.Context, lim RetainerLimits) ([]Retained, error) {
	req := lim.request()
	req["cmd"] = "retainers"
	per, err := fanOut(ctx, p, "find retainers", req, func(_ int, line []byte) (retainersAnswer, error) {
		var r retainersAnswer
		return r, json.Unmarshal(line, &r)
	})
	return mergeRetained(per), err
}

type retainersAnswer struct {
	Pid     int        `json:"pid"`
	Objects []Retained `json:"objects"`
}

func (lim RetainerLimits) request() map[string]any {
	return map[string]any{"objects": cmp(lim.Objects, 3),
		"min_bytes": cmp(lim.MinBytes, 1<<20), "seconds": cmp(lim.Time, 30*time.Second).Seconds(),
		"depth": cmp(lim.Depth, 24), "sites": cmp(lim.Sites, 3)}
}

// mergeRetained puts every process's objects in one list, largest first.
func mergeRetained(per []retainersAnswer) []Retained {
	var all []Retained
	for _, r := range per {
		for _, o := range r.Objects {
			o.Pid = r.Pid
			all = append(all, o)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Size > all[j].Size })
	return all
}

func cmp[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Pids returns the processes whose probe answers, in pid order.
func (p *Probe) Pids() ([]int, error) {
	paths, err := filepath.Glob(filepath.Join(p.Dir, "*.sock"))
	if err != nil {
		return nil, fmt.Errorf("find probes: %w", err)
	}
	var pids []int
	for _, path := range paths {
		pid, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(path), ".sock"))
		if err != nil {
			continue
		}
		// A process that exited (a recycled pool child) leaves its socket.
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			continue
		}
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	return pids, nil
}

// fanOut sends req to every live probe at once and decodes each answer.
func fanOut[T any](ctx context.Context, p *Probe, verb string, req map[string]any, decode func(pid int, line []byte) (T, error)) ([]T, error) {
	return fanOutPid(ctx, p, verb, func(int) map[string]any { return req }, decode)
}

func fanOutPid[T any](ctx context.Context, p *Probe, verb string, req func(pid int) map[string]any, decode func(pid int, line []byte) (T, error)) ([]T, error) {
	pids, err := p.Pids()
	if err != nil {
		return nil, err
	}
	if len(pids) == 0 {
		return nil, fmt.Errorf("%s: no probe listens in %s; start the worker with Probe.Apply and wait for it to be ready", verb, p.Dir)
	}
	results := make([]T, len(pids))
	errs := make([]error, len(pids))
	gone := make([]bool, len(pids))
	var wg sync.WaitGroup
	for i, pid := range pids {
		wg.Go(func() {
			line, err := p.ask(ctx, pid, req(pid))
			if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
				gone[i] = true // exited between the listing and the dial
				return
			}
			if err == nil {
				results[i], err = decode(pid, line)
			}
			if err != nil {
				errs[i] = fmt.Errorf("%s in process %d: %w", verb, pid, err)
			}
		})
	}
	wg.Wait()
	var out []T
	for i := range pids {
		if !gone[i] && errs[i] == nil {
			out = append(out, results[i])
		}
	}
	return out, errors.Join(errs...)
}

// ask sends one command to the probe of pid and returns its answer line,
// or the probe's own error.
func (p *Probe) ask(ctx context.Context, pid int, req map[string]any) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", filepath.Join(p.Dir, fmt.Sprintf("%d.sock", pid)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(append(body, '\n')); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read answer: %w", ctx.Err())
		}
		return nil, fmt.Errorf("read answer: %w", err)
	}
	var probeErr struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(line, &probeErr) == nil && probeErr.Error != "" {
		return nil, fmt.Errorf("probe says: %s", probeErr.Error)
	}
	return line, nil
}
