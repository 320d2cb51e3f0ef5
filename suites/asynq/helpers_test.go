package asynq_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	"github.com/leakspec/leakspec/worker/asynq"
	"github.com/leakspec/leakspec/worker/recording"
)

// scenario is one run of fixtures/asynqworker.
type scenario struct {
	// args are the worker's flags besides -scenario.
	args []string
	// tasks are enqueued one every gap (all at once when gap is zero),
	// each retried maxRetry times when it fails.
	tasks    int
	gap      time.Duration
	maxRetry int
}

// drive runs the handler name under s and returns the recording of the
// worker's memory, its run (for the heap growth) and the queue's last
// counts.
func drive(ctx SpecContext, name string, s scenario) (recording.Recording, *fixtures.Run, asynq.Progress) {
	w := fixtures.Start(ctx, env, asynq.WorkerOptions{Args: append([]string{"-scenario", name}, s.args...)})
	queue := asynq.NewQueue(env.RDB, asynq.DefaultQueue)
	run := env.Record(w)
	for i := range s.tasks {
		_, err := queue.Enqueue(ctx, asynq.Task{Type: name, MaxRetry: s.maxRetry})
		Expect(err).NotTo(HaveOccurred())
		if s.gap > 0 && i < s.tasks-1 {
			time.Sleep(s.gap)
		}
	}
	progress, err := queue.WaitDone(ctx, asynq.Wait{Worker: w.Process, Events: run.Recorder})
	Expect(err).NotTo(HaveOccurred())
	return run.Finish(), run, progress
}
