package asynq_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/asynq"
	"github.com/leakspec/leakspec/worker/recording"
)

// scenario is one run of fixtures/asynqworker.
type scenario struct {
	// args are the worker's flags besides -scenario.
	args []string
	// A task is enqueued every gap until the verdict is certain; with no
	// gap, tasks are enqueued at once, each retried maxRetry times when it
	// fails, and the worker's retries are the load.
	gap      time.Duration
	tasks    int
	maxRetry int
	// max is the longest the run may last (the plan's Max).
	max time.Duration
}

// drive runs the handler name under s until the verdict of ms on the
// worker's live heap is certain, finishes the run and returns its recording
// (whose Series(recording.HeapLive) the decision judged), the run (for its
// decision and the heap growth) and the queue's last counts.
func drive(ctx SpecContext, name string, s scenario, ms ...types.GomegaMatcher) (recording.Recording, *fixtures.Run, asynq.Progress) {
	w := fixtures.Start(ctx, env, asynq.WorkerOptions{Args: append([]string{"-scenario", name}, s.args...)})
	queue := asynq.NewQueue(env.RDB, asynq.DefaultQueue)
	run := env.Record(w, fixtures.DecideOn(recording.HeapLive))
	enqueue := func(ctx context.Context) error {
		_, err := queue.Enqueue(ctx, asynq.Task{Type: name, MaxRetry: s.maxRetry})
		return err
	}
	load := fixtures.Every(s.gap, enqueue)
	if s.gap == 0 {
		load = func(ctx context.Context) error {
			for range s.tasks {
				if err := enqueue(ctx); err != nil {
					return err
				}
			}
			// The retries go on in the worker; waiting for them notes
			// each failed attempt in the recording.
			_, err := queue.WaitDone(ctx, asynq.Wait{Worker: w.Process, Events: run.Recorder})
			return err
		}
	}
	run.DriveUntilDecided(ctx, Plan{Max: s.max}, load, ms...)
	rec := run.Finish()
	progress, err := queue.Progress(ctx)
	Expect(err).NotTo(HaveOccurred())
	AddReportEntry("tasks", progress.String())
	return rec, run, progress
}
