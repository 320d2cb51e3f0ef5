package selftest_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	"github.com/leakspec/leakspec/worker/rq"
)

// selftest is an RQ SimpleWorker of fixtures/rq/selftest_jobs.py being
// recorded, and the queue a spec drives it through.
type selftest struct {
	run   *fixtures.Run
	queue *rq.Queue
}

// startSelftest starts an RQ SimpleWorker on the selftest queue and records
// it with opts.
func startSelftest(ctx SpecContext, opts ...fixtures.RecordOption) selftest {
	w := fixtures.Start(ctx, env, rq.WorkerOptions{Queues: []string{"selftest"}, Imports: []string{"selftest_jobs"}})
	// The report names the RQ that ran, so that a run against a checkout
	// of another version shows which one it was.
	Expect(CurrentSpecReport().ReportEntries).To(ContainElement(HaveField("Name", "installed")), "the report names the RQ that ran")
	Expect(w.Installed().String()).To(HavePrefix("rq "))
	queue := rq.NewQueue(env.RDB, "selftest").WatchWorkers(env.Workers)
	return selftest{run: env.Record(w, opts...), queue: queue}
}

// every is the load that enqueues the selftest job fn with mib every
// period, and notes each in the recording.
func (s selftest) every(period time.Duration, fn string, mib int) fixtures.Load {
	return fixtures.Every(period, func(ctx context.Context) error {
		if _, err := s.queue.Enqueue(ctx, rq.Job{Func: "selftest_jobs." + fn, Args: []any{mib}}); err != nil {
			return fmt.Errorf("enqueue %s: %w", fn, err)
		}
		s.run.Recorder.Event("enqueued", fn)
		return nil
	})
}

// progress is what became of the jobs so far.
func (s selftest) progress(ctx SpecContext) rq.Progress {
	p, err := s.queue.Progress(ctx)
	Expect(err).NotTo(HaveOccurred())
	return p
}
