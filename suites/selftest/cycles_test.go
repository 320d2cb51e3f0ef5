package selftest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// failJobs drives the failing selftest job fn (fixtures/rq/selftest_jobs.py)
// on an RQ SimpleWorker, one 8 MiB job every 50 ms, none retried, until
// PlateauWithin(32 MB) is certain either way, at most 20 s, and returns
// the recording and the decision's matcher.
func failJobs(ctx SpecContext, fn string) (recording.Recording, types.GomegaMatcher) {
	s := startSelftest(ctx)
	s.run.DriveUntilDecided(ctx, Plan{Max: 20 * time.Second}, s.every(50*time.Millisecond, fn, 8), PlateauWithin(32*MB))
	rec := s.run.Finish()
	// A failed job ends in RQ's failed registry: every job that ran must be
	// there, and none finished.
	p := s.progress(ctx)
	Expect(p.Finished).To(BeZero(), "every job must fail, none be retried: %s", p)
	Expect(p.Failed).To(BeNumerically(">", 0), "no job failed: %s", p)
	return rec, s.run.Decided()
}

// A failing handler whose exception ends up in a reference cycle with its
// traceback's frame keeps the frame's locals until the cyclic collector
// runs: memory climbs within seconds to a level far above the worker's
// rest, and saws there as the collector frees a part now and then. Its
// peaks level off, so only the level, measured from where the load began,
// tells it from a clean worker.
var _ = Describe("an RQ SimpleWorker whose failing jobs leave reference cycles", Label("selftest", "rq", "cycles"), func() {
	It("is caught holding 8 MiB per failure in a cycle (positive control)", func(ctx SpecContext) {
		rec, decided := failJobs(ctx, "fail_in_cycle")

		env.JudgeLeak(rec, decided)
		AddReportEntry("leak_message", decided.FailureMessage(rec))
		// Untraced, the GC diagnosis still tells what cycles hold from what is reachable.
		Expect(env.HeapText()).To(ContainSubstring("garbage in reference cycles, which only Python's cyclic collector frees"))
	})

	It("plateaus when the same jobs break the cycle (negative control)", func(ctx SpecContext) {
		rec, decided := failJobs(ctx, "fail_cycle_broken")

		env.Judge(rec, decided)
	})
})
