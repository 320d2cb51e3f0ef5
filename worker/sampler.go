package worker

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/internal/proc"
	"github.com/leakspec/leakspec/worker/recording"
)

// sampleFailed names the event that records a sample the sampler could not
// take, such as a /proc it may not read. A failing sample is skipped, not
// recorded as zero, which would read as the worker freeing its memory.
const sampleFailed = "sample failed"

// treeEnded names the event that marks where a worker's tree ended: none of
// its processes was alive at that sample, which is not recorded. A series
// that went on at zero would read as the worker freeing all it held, and
// pass a leak whose worker exits before it is stopped.
const treeEnded = "tree-ended"

// SamplerConfig says how often a Sampler measures and when it kills. Its zero
// value is ready to use: each zero field takes the default its comment
// names.
type SamplerConfig struct {
	Interval     time.Duration // RSS period; zero value -> 100ms
	SlowInterval time.Duration // PSS/USS period; zero -> 1s
	Ceiling      uint64        // tree RSS that triggers Kill; zero -> 4 GiB
	ProcRoot     string        // "" -> "/proc"
	// Probe, when set, is called with every sample once the tree has been
	// read, to add what /proc cannot tell, such as a Go worker's live heap
	// (see worker/goworker). It runs on the sampling goroutine, so it must
	// return promptly, and it sets only fields that SampleTree leaves
	// alone. When it fails, the sample is kept without its figures and the
	// failure is noted like a sample that failed.
	Probe func(*recording.Sample) error
}

// withDefaults returns c with every zero field set to its default. This is
// the one place the defaults live.
func (c SamplerConfig) withDefaults() SamplerConfig {
	if c.Interval == 0 {
		c.Interval = 100 * time.Millisecond
	}
	if c.SlowInterval == 0 {
		c.SlowInterval = time.Second
	}
	if c.Ceiling == 0 {
		c.Ceiling = 4 * bytesize.GiB
	}
	if c.ProcRoot == "" {
		c.ProcRoot = proc.DefaultRoot
	}
	return c
}

// Sampler measures the memory of a worker's process tree at a steady rate
// until it is stopped. StartSampler starts one.
type Sampler struct {
	rec  *Recorder
	tree *Tree
	cfg  SamplerConfig
	kill func(reason string)

	halt     chan struct{} // closed by Stop
	done     chan struct{} // closed when the sampling goroutine returns
	stopOnce sync.Once

	// Owned by the sampling goroutine once StartSampler has returned.
	slowDue   time.Time // when the next sample is to read smaps_rollup
	killed    bool
	lastError string
}

// StartSampler samples the tree of root (in process group pgid) into rec until
// Stop; a sample is taken immediately at start.
//
// The tree is root, its descendants and every process in group pgid (see
// SampleTree). Every cfg.Interval the sampler adds a sample of the tree's
// summed RSS to rec; the first sample on or after each cfg.SlowInterval also
// carries PSS and USS, read in the same pass, so that one row describes one
// instant. Sampling ends on its own at the first sample that finds no
// resident memory in the tree: every process of it has exited (a zombie
// holds none), and the sampler notes a "tree-ended" event instead of a
// sample, so that the series ends where the worker did.
//
// The moment the tree's RSS exceeds cfg.Ceiling, the sampler records the
// reason with rec.Abort and calls kill with it, once. kill runs on the
// sampling goroutine and should return promptly: sampling resumes when it
// returns, and the samples that follow show the memory coming down, until
// the tree has ended.
//
// A sample that cannot be taken (for instance, a /proc the test may not read)
// is skipped and noted once as a "sample failed" event. StartSampler fails,
// with an error that starts with "start sampler:", when cfg is invalid, when
// root's /proc entry cannot be read, or when the first sample cannot be
// taken, or finds that the tree has ended already.
func StartSampler(rec *Recorder, root, pgid int, cfg SamplerConfig, kill func(reason string)) (*Sampler, error) {
	if kill == nil {
		return nil, errors.New("start sampler: no kill function was given, so the memory ceiling could not stop the worker")
	}
	if cfg.Interval < 0 || cfg.SlowInterval < 0 {
		return nil, fmt.Errorf("start sampler: a sampling interval cannot be negative, and these are %v and %v", cfg.Interval, cfg.SlowInterval)
	}
	cfg = cfg.withDefaults()
	tree := NewTree(cfg.ProcRoot, root, pgid)
	if _, err := tree.r.Stat(root); err != nil {
		return nil, fmt.Errorf("start sampler: %w", err)
	}

	rec.describeSampling(cfg, tree.useCgroup())
	s := &Sampler{
		rec:     rec,
		tree:    tree,
		cfg:     cfg,
		kill:    kill,
		halt:    make(chan struct{}),
		done:    make(chan struct{}),
		slowDue: time.Now(),
	}
	ended, err := s.sample()
	if err != nil {
		return nil, fmt.Errorf("start sampler: %w", err)
	}
	if ended {
		return nil, fmt.Errorf("start sampler: process %d and its tree have exited, so there is no memory to record", root)
	}
	go s.run(time.NewTicker(cfg.Interval))
	return s, nil
}

// Stop ends sampling, waits for the sampling goroutine to return, and returns
// the final snapshot of the Recording, its Duration frozen at the moment
// sampling ended. Calling Stop again returns a fresh snapshot of the same
// Recording.
func (s *Sampler) Stop() recording.Recording {
	s.stopOnce.Do(func() {
		close(s.halt)
		<-s.done
		s.rec.stop()
	})
	return s.rec.Snapshot()
}

// run samples at every tick until Stop or the tree's end. A ticker drops
// the ticks a slow sample overlaps, so a stalled /proc read delays the
// series instead of piling up a burst of catch-up samples.
func (s *Sampler) run(ticker *time.Ticker) {
	defer close(s.done)
	defer ticker.Stop()
	for {
		select {
		case <-s.halt:
			return
		case <-ticker.C:
			ended, err := s.sample()
			s.noteFailure(err)
			if ended {
				s.rec.Event(treeEnded, "no process of the worker's tree is alive: sampling stopped")
				return
			}
		}
	}
}

// noteFailure records a sample that could not be taken as an event, once per
// run of the same failure: it tends to repeat at every tick, and one event
// says it where a thousand would bury the events that matter.
func (s *Sampler) noteFailure(err error) {
	if err == nil {
		s.lastError = ""
		return
	}
	if err.Error() != s.lastError {
		s.rec.Event(sampleFailed, err.Error())
	}
	s.lastError = err.Error()
}

// sample takes one sample of the tree, adds it to the recording, and kills
// the tree the first time it is above the ceiling. It adds nothing and
// returns true when the tree has ended: a living process always holds some
// resident pages, its stack at least, so a tree without any has none alive.
func (s *Sampler) sample() (ended bool, err error) {
	now := time.Now()
	detailed := !now.Before(s.slowDue)
	// Deadlines stay on the grid of the first sample, so that the detailed
	// samples do not drift later by a fraction of a tick each time.
	for !s.slowDue.After(now) {
		s.slowDue = s.slowDue.Add(s.cfg.SlowInterval)
	}
	sample, err := s.tree.Sample(detailed)
	if err != nil {
		return false, err
	}
	if sample.RSS == 0 {
		return true, nil
	}
	sample.At = s.rec.elapsed(now)
	over := sample.RSS > s.cfg.Ceiling && !s.killed
	var probeErr error
	// A tree over the ceiling is killed without waiting for the probe.
	if s.cfg.Probe != nil && !over {
		if err := s.cfg.Probe(&sample); err != nil {
			probeErr = fmt.Errorf("probe sample: %w", err)
		}
	}
	s.rec.Add(sample)
	if over {
		s.killed = true
		reason := fmt.Sprintf("the worker's process tree reached %s, above the %s ceiling, and was killed",
			bytesize.Format(sample.RSS), bytesize.Format(s.cfg.Ceiling))
		s.rec.Abort(reason)
		s.kill(reason)
	}
	return false, probeErr
}

// SampleTree measures, once, the memory of the process tree of root in
// process group pgid as the /proc mounted at procRoot ("" is /proc) shows
// it, and returns it with At left zero. A sampler uses a Tree instead,
// which remembers the tree from one sample to the next.
//
// The tree is root, every process in group pgid, and every descendant of
// those: a worker's children are found by their parent links, and an orphan
// that the kernel reparented to init keeps its group. RSS, the resident set
// summed over the tree, comes from each process's statm file, which is
// cheap to read. When detailed is true, PSS and USS come from smaps_rollup
// too: PSS splits each shared page among the processes that map it, so it
// is the honest total for a forked pool whose summed RSS counts shared pages
// many times; USS (private clean, private dirty and private huge pages) is
// what the tree would free if it exited. Reading smaps_rollup walks the page
// tables of the target and stalls it meanwhile, which is why it is left to
// the slow rate.
//
// A process that exits while it is read is left out, and a zombie counts as
// a process with no memory. An empty tree is not an error: the sample says
// zero processes.
func SampleTree(procRoot string, root, pgid int, detailed bool) (recording.Sample, error) {
	return NewTree(procRoot, root, pgid).Sample(detailed)
}
