package selftest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
	"github.com/leakspec/leakspec/worker/rq"
)

// A fixed load of jobs that each hold 64 MiB for the second they run, one
// after another, as the README's example enqueues and waits for them. Few
// samples fall between two jobs, so the floor of the last windows is a job
// in flight, 67 MB above the baseline and beyond the budget: judged there,
// six recordings of this spec all failed (and a new user's spec of sixteen
// half-second jobs, 1 run in 8). Run.Finish records the worker idle after
// the load, and PlateauWithin reads the level it settled at there.
var _ = Describe("jobs that borrow 64 MiB each, back to back", Label("selftest", "rq"), func() {
	It("plateau, judged where the worker settled idle after them (negative control)", func(ctx SpecContext) {
		s := startSelftest(ctx)
		jobs := make([]rq.Job, 5)
		for i := range jobs {
			jobs[i] = rq.Job{Func: "selftest_jobs.borrow", Args: []any{64, 1.0}}
		}
		_, err := s.queue.EnqueueMany(ctx, jobs)
		Expect(err).NotTo(HaveOccurred())
		p, err := s.queue.WaitFinished(ctx, len(jobs), 50*time.Millisecond)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Failed).To(BeZero(), "no selftest job may fail")

		rec := s.run.Finish()
		Expect(rec.Count(recording.IdleTail)).To(Equal(1), "Finish did not note where it recorded the worker idle")
		plateau := PlateauWithin(env.Config.Budget("selftest-negative-control", 32*MB))
		env.Judge(rec, plateau)
		Expect(plateau.NegatedFailureMessage(rec)).To(ContainSubstring("the worker idle after its load"))
	})
})
