package selftest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
	"github.com/leakspec/leakspec/worker/rq"
)

// burst enqueues 16 jobs of fn at once, each with 8 MiB, waits for them
// and finishes the run: a fixed load that is over in well under a second,
// as a spec of cheap jobs written from the README's example is. Finish
// records the idle worker on to the least the matchers judge.
func burst(ctx SpecContext, fn string) recording.Recording {
	s := startSelftest(ctx)
	jobs := make([]rq.Job, 16)
	for i := range jobs {
		jobs[i] = rq.Job{Func: "selftest_jobs." + fn, Args: []any{8}}
	}
	_, err := s.queue.EnqueueMany(ctx, jobs)
	Expect(err).NotTo(HaveOccurred())
	p, err := s.queue.WaitFinished(ctx, len(jobs), 20*time.Millisecond)
	Expect(err).NotTo(HaveOccurred())
	Expect(p.Failed).To(BeZero(), "no selftest job may fail")
	loaded := s.run.Recorder.Snapshot().Duration

	rec := s.run.Finish()
	Expect(loaded).To(BeNumerically("<", time.Second), "the burst was to be over within a second")
	Expect(rec.Count(recording.IdleTail)).To(Equal(1), "Finish did not say where it recorded on")
	Expect(rec.Duration).To(BeNumerically(">=", stats.MinRecording(env.Config.Sampling.Interval)), "Finish stopped short of the least the matchers judge")
	return rec
}

var _ = Describe("a load over in under a second", Label("selftest", "rq"), func() {
	It("is recorded on idle, and what it kept is caught where it settled (positive control)", func(ctx SpecContext) {
		rec := burst(ctx, "keep")

		plateau := PlateauWithin(32 * MB)
		env.JudgeLeak(rec, plateau)
		Expect(plateau.FailureMessage(rec)).To(ContainSubstring("settled +"))
	})

	It("is recorded on idle, and plateaus when every job drops its data (negative control)", func(ctx SpecContext) {
		rec := burst(ctx, "drop")

		env.Judge(rec, PlateauWithin(env.Config.Budget("selftest-negative-control", 32*MB)))
	})
})
