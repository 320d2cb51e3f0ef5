package dramatiq_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/fixtures"
	"github.com/leakspec/leakspec/internal/bytesize"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/dramatiq"
	"github.com/leakspec/leakspec/worker/recording"
)

// The origin's figures: each actor allocates 128 MiB, and a failing
// message is retried up to a million times, at most 100 ms apart.
const (
	dataMiB    = 128
	data       = dataMiB * MiB
	maxRetries = 1_000_000
	minBackoff = 10 * time.Millisecond
	maxBackoff = 100 * time.Millisecond
)

// hold is how long a failing actor works on its data before it raises.
// A retry that held its 128 MiB for less than the sampling interval would
// show in some windows and not in others, and the peaks of a worker
// without the leak would look ragged; 250 ms spans a few samples.
const hold = 250 * time.Millisecond

// How long the worker rests before its first message: five samples at the
// default interval, the baseline every bound is measured from.
const restTime = 500 * time.Millisecond

// poll is how often a spec looks at the recording and at Redis.
const poll = 50 * time.Millisecond

// startWorker starts a worker of an app of fixtures/dramatiq with 1 process
// and 1 thread, like the origin's, records it, lets it rest and returns the
// worker, its run, and its baseline: the highest tree RSS sampled at rest.
func startWorker(ctx SpecContext, module string) (*dramatiq.Worker, *fixtures.Run, uint64) {
	w := fixtures.Start(ctx, env, dramatiq.WorkerOptions{Module: module, Processes: 1, Threads: 1})
	run := env.Record(w)
	time.Sleep(restTime)
	rest := run.Recorder.Snapshot()
	Expect(rest.Samples).NotTo(BeEmpty(), "the sampler took no sample of the worker at rest")
	return w, run, rest.Peak()
}

// whileAlive returns a context that ends when ctx does or when the worker
// ends, whichever is first, so that no wait outlives a dead worker.
func whileAlive(ctx context.Context, w *dramatiq.Worker) context.Context {
	alive, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-w.Done():
			cancel(fmt.Errorf("the worker ended: %v", w.Err()))
		case <-alive.Done():
		}
	}()
	DeferCleanup(func() { cancel(nil) })
	return alive
}

// failForever enqueues one message of actor, which allocates dataMiB,
// holds it for hold and raises an exception holding it, with the origin's
// retry options, and records the worker retrying it until the verdict of ms
// is certain. A run that passes goes on until the worker has logged
// minRetries retries, at most until the plan's Max: fewer, and the message
// did not really loop. It finishes the run and returns the recording and
// the message's last status in Redis.
func failForever(ctx SpecContext, w *dramatiq.Worker, run *fixtures.Run, actor string, plan Plan, ms ...types.GomegaMatcher) (recording.Recording, dramatiq.MessageStatus) {
	queue := dramatiq.NewQueue(env.RDB, "")
	var id string
	// The worker's retries are the load: enqueuing the message is all the
	// spec drives.
	enqueue := func(ctx context.Context) error {
		var err error
		id, err = queue.Enqueue(ctx, dramatiq.Message{
			Actor: actor,
			Args:  []any{dataMiB, hold.Seconds()},
			Options: dramatiq.Options{
				MaxRetries: new(maxRetries),
				MinBackoff: minBackoff,
				MaxBackoff: maxBackoff,
			},
		})
		if err == nil {
			run.Recorder.Event("enqueued", id)
		}
		return err
	}
	d := run.DriveUntilDecided(ctx, plan, enqueue, ms...)
	if d.Verdict == Passed {
		waitFor(whileAlive(ctx, w), func() bool {
			snap := run.Recorder.Snapshot()
			return snap.Count(dramatiq.EventRetry) >= minRetries || snap.Duration >= plan.Max
		})
	}
	rec := run.Finish()
	Expect(id).NotTo(BeEmpty(), "the message was not enqueued")
	status, err := queue.Status(ctx, id)
	Expect(err).NotTo(HaveOccurred())
	return rec, status
}

// waitFor polls done until it holds or ctx ends.
func waitFor(ctx context.Context, done func() bool) {
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// follow polls the message's status until it is done and notes "running"
// and "done" events in the recording; it returns when each was first seen.
func follow(ctx SpecContext, w *dramatiq.Worker, run *fixtures.Run, queue *dramatiq.Queue, id string, within time.Duration) (running, done time.Duration) {
	deadline := time.After(within)
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	running = -1
	for {
		s, err := queue.Status(ctx, id)
		Expect(err).NotTo(HaveOccurred())
		now := run.Recorder.Snapshot().Duration
		if running < 0 && (s.State == dramatiq.StateRunning || s.State == dramatiq.StateDone) {
			running = now
			run.Recorder.Event("running", id)
		}
		if s.State == dramatiq.StateDone {
			run.Recorder.Event("done", id)
			return running, now
		}
		Expect(s.State).NotTo(Equal(dramatiq.StateDead), "the message was dead-lettered: %s", s.Traceback)
		select {
		case <-w.Done():
			Fail(fmt.Sprintf("the worker ended while message %s was %s: %v", id, s.State, w.Err()))
		case <-deadline:
			Fail(fmt.Sprintf("message %s was still %s after %v", id, s.State, within))
		case <-ticker.C:
		}
	}
}

// during returns the part of rec between from and to.
func during(rec recording.Recording, from, to time.Duration) recording.Recording {
	part := rec
	part.Samples = nil
	for _, s := range rec.Samples {
		if s.At >= from && s.At <= to {
			part.Samples = append(part.Samples, s)
		}
	}
	Expect(part.Samples).NotTo(BeEmpty(), "no sample between %v and %v", from, to)
	return part
}

// lowest returns the lowest tree RSS of rec.
func lowest(rec recording.Recording) uint64 {
	low := rec.Samples[0].RSS
	for _, s := range rec.Samples {
		low = min(low, s.RSS)
	}
	return low
}

// figures adds a report entry with what the run's own figures (peak,
// duration, the judgments, which Run.Finish and Judge file) leave out: the
// worker's baseline at rest and the retries it logged.
func figures(rec recording.Recording, baseline uint64) {
	AddReportEntry("figures", fmt.Sprintf("baseline %s, %d retries", bytesize.Format(baseline), rec.Count(dramatiq.EventRetry)))
}
