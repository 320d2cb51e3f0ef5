package celery_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/fixtures"
	"github.com/leakspec/leakspec/internal/bytesize"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/celery"
	"github.com/leakspec/leakspec/worker/recording"
)

// pool is a way to run the worker and the memory measure it is judged on.
type pool struct {
	// on names the pool and its measure in spec texts, early, so that
	// every spec's files have names of their own.
	on string
	// label is the pool's Ginkgo label, so that CI can run each pool's
	// specs as a shard of its own (docs/ci.md). It is written as a call of
	// Label, which `ginkgo labels` and the label filter's check can read.
	label Labels
	opts  celery.WorkerOptions
	// judged is the series the verdicts read: RSS for one process, summed
	// PSS for a forked pool.
	judged recording.Series
	// children is how many tasks run at once.
	children int
	// keeps is how many of its tasks' data a child may hold without any
	// leak: the running task's and, in a prefork child, the last task's
	// result or exception, which billiard's worker loop holds until the
	// next task ends.
	keeps int
}

var pools = []pool{
	{on: "on a solo pool, judged on RSS,", label: Label("solo"), opts: celery.WorkerOptions{Pool: celery.Solo}, judged: recording.RSS, children: 1, keeps: 1},
	{on: "on a prefork pool of 2, judged on PSS,", label: Label("prefork"), opts: celery.WorkerOptions{Pool: celery.Prefork, Concurrency: 2}, judged: recording.PSS, children: 2, keeps: 2},
}

// pssInterval is how often PSS is sampled in this suite: with every sample,
// so that the prefork specs' PSS verdicts get as many samples as RSS ones
// (at least 3 in each of 6 windows after the warm-up) in runs of about
// eight seconds. Reading smaps_rollup of three processes takes well under
// a millisecond.
const pssInterval = 100 * time.Millisecond

// idle is how long a scenario records the worker doing nothing before its
// first task: the baseline.
const idle = 750 * time.Millisecond

// settle is how long a scenario records the worker after its last task:
// ReturnToBaseline judges memory's level by the median of a second.
const settle = 1250 * time.Millisecond

// warmUp is what the verdicts leave out: the idle start and the first two
// seconds of the scenario. A pool child reaches its steady state only with
// its second task: until the next task begins, it still holds the last
// task's result or exception.
const warmUp = idle + 2*time.Second

// plateauWithin is PlateauWithin after this suite's warm-up.
func plateauWithin(budget uint64) types.GomegaMatcher {
	return PlateauWithin(budget, WarmUp(warmUp))
}

// specTimeout bounds a spec that hangs, such as one whose worker stopped
// taking tasks; every spec takes under ten seconds.
const specTimeout = time.Minute

// scenario is a worker being recorded while a spec drives it.
type scenario struct {
	pool   pool
	worker *celery.Worker
	queue  *celery.Queue
	run    *fixtures.Run
	// enqueued counts the tasks sent, which the scenario waits for.
	enqueued atomic.Int64
}

// start starts the worker of app on the pool, records it, and lets it idle
// for the baseline before it returns.
func start(ctx SpecContext, p pool, app string) *scenario {
	opts := p.opts
	opts.App = app
	w := fixtures.Start(ctx, env, opts)
	run := env.Record(w, fixtures.SlowInterval(pssInterval), fixtures.DecideOn(p.judged))
	s := &scenario{pool: p, worker: w, queue: celery.NewQueue(env.RDB, ""), run: run}
	time.Sleep(idle)
	s.run.Recorder.Event(recording.LoadStart, "")
	return s
}

func (s *scenario) enqueue(ctx SpecContext, tasks ...celery.Task) {
	Expect(s.send(ctx, tasks...)).To(Succeed())
}

// send enqueues tasks and counts them, for a load that runs outside the
// spec's goroutine.
func (s *scenario) send(ctx context.Context, tasks ...celery.Task) error {
	if _, err := s.queue.EnqueueMany(ctx, tasks); err != nil {
		return fmt.Errorf("enqueue tasks: %w", err)
	}
	s.enqueued.Add(int64(len(tasks)))
	return nil
}

// waitDone waits until n tasks have ended, and fails the spec at once,
// with the worker's last words, if the worker exits first.
func (s *scenario) waitDone(ctx context.Context, n int) (celery.Counts, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-s.worker.Done():
			cancel(fmt.Errorf("the worker exited (%v); its last lines:\n%s", s.worker.Err(), strings.Join(s.worker.Tail(), "\n")))
		case <-ctx.Done():
		}
	}()
	return s.worker.Tasks.WaitDone(ctx, n)
}

// finish notes the scenario's end, lets the worker idle for settle, so
// that a spec can judge how it settles, stops it, and returns the
// recording with its figures in the spec's report (JUnit properties).
func (s *scenario) finish(settle time.Duration) recording.Recording {
	s.run.Recorder.Event(recording.LoadStop, "")
	time.Sleep(settle)
	rec := s.run.Finish()
	reportFigures(rec)
	return rec
}

// judged returns the series of rec that the pool is judged on.
func (s *scenario) judged(rec recording.Recording) recording.Recording {
	return rec.Series(s.pool.judged)
}

// bound is the most the pool may hold above its baseline without a leak,
// when each task holds data bytes: what its children keep, and budget.
func (s *scenario) bound(rec recording.Recording, data, budget uint64) uint64 {
	f := figuresOf(rec, s.pool.judged)
	return uint64(f.Baseline) + uint64(s.pool.children*s.pool.keeps)*data + budget
}

// figures are a series' numbers over a scenario's phases, in bytes.
type figures struct {
	// Baseline is the median before the scenario, Running the median while
	// it ran, Settled the median after it, Peak the highest sample.
	// RunningLow is the lowest tenth while it ran, and RunningHigh the
	// upper quartile: what the worker held in the quietest and the busier
	// part of its tasks, such as their sleeps after dropping or holding
	// their data.
	Baseline, Running, RunningLow, RunningHigh, Settled, Peak float64
}

// figuresOf reads the figures of one series of rec. A snapshot taken while
// the load runs has no LoadStop yet: its Running is the load so far, and
// its Settled zero.
func figuresOf(rec recording.Recording, series recording.Series) figures {
	r := rec.Series(series)
	starts, ends := eventAt(r, recording.LoadStart), r.Duration+1
	if r.Count(recording.LoadStop) > 0 {
		ends = eventAt(r, recording.LoadStop)
	}
	var before, during, after []float64
	var f figures
	for _, s := range r.Samples {
		v := float64(s.RSS)
		f.Peak = max(f.Peak, v)
		switch {
		case s.At < starts:
			before = append(before, v)
		case s.At < ends:
			during = append(during, v)
		default:
			after = append(after, v)
		}
	}
	f.Baseline, f.Running, f.Settled = median(before), median(during), median(after)
	f.RunningLow, f.RunningHigh = quantile(during, 0.1), quantile(during, 0.75)
	return f
}

// reportFigures adds RSS and PSS figures over the scenario's phases to the
// spec's report, so that the JUnit file says what each measure saw:
// rss_baseline_mb, rss_running_mb, rss_settled_mb and the same for pss_,
// beside the peak_mb and pss_peak_mb that every run files.
func reportFigures(rec recording.Recording) {
	for _, series := range []recording.Series{recording.RSS, recording.PSS} {
		f := figuresOf(rec, series)
		name := map[recording.Series]string{recording.RSS: "rss", recording.PSS: "pss"}[series]
		for _, fig := range []struct {
			what  string
			value float64
		}{{"baseline", f.Baseline}, {"running", f.Running}, {"settled", f.Settled}} {
			AddReportEntry(fmt.Sprintf("%s_%s_mb", name, fig.what), mb(fig.value), ReportEntryVisibilityFailureOrVerbose)
		}
	}
	processes := 0
	for _, s := range rec.Samples {
		processes = max(processes, s.Processes)
	}
	AddReportEntry("processes", processes, ReportEntryVisibilityFailureOrVerbose)
}

// mb rounds bytes to tenths of a megabyte (10^6 bytes), for reports.
func mb(b float64) float64 {
	return float64(int64(b/float64(bytesize.MB)*10+0.5)) / 10
}

func eventAt(rec recording.Recording, name string) time.Duration {
	for _, e := range rec.Events {
		if e.Name == name {
			return e.At
		}
	}
	Fail(fmt.Sprintf("the recording has no %q event", name))
	return 0
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Sorted(slices.Values(v))
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// quantile returns the q quantile of v, the sample at rank q of the sorted
// values (nearest rank), or 0 for no values.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Sorted(slices.Values(v))
	return v[min(int(q*float64(len(v))), len(v)-1)]
}
