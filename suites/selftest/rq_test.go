package selftest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// sixteen drives the selftest job fn (fixtures/rq/selftest_jobs.py) on an
// RQ SimpleWorker, one 16 MiB job every 125 ms, until PlateauWithin(budget)
// is certain either way, at most 6 s, and returns the recording and the
// decision's matcher. The heap is traced, so that the report names the
// line that allocated what grew.
func sixteen(ctx SpecContext, fn string, budget uint64) (recording.Recording, types.GomegaMatcher) {
	s := startSelftest(ctx, fixtures.TraceHeap())
	s.run.DriveUntilDecided(ctx, Plan{Max: 6 * time.Second}, s.every(125*time.Millisecond, fn, 16), PlateauWithin(budget))
	rec := s.run.Finish()
	Expect(s.progress(ctx).Failed).To(BeZero(), "no selftest job may fail")
	return rec, s.run.Decided()
}

var _ = Describe("an RQ SimpleWorker", Label("selftest", "rq"), func() {
	It("is caught leaking when every job keeps its 16 MiB (positive control)", func(ctx SpecContext) {
		rec, decided := sixteen(ctx, "keep", 32*MB)

		env.JudgeLeak(rec, decided)
		Expect(decided.FailureMessage(rec)).To(MatchRegexp(`from a baseline of \d+\.\d MB it peaked at \d+\.\d MB \(\+\d+\.\d MB\)`))
		AddReportEntry("leak_message", decided.FailureMessage(rec))

		// Every job keeps 16 MiB: a leak caught after a handful of jobs has
		// grown by at least that handful, or the recording measured
		// something other than the worker.
		Expect(rec.Peak() - rec.Samples[0].RSS).To(BeNumerically(">", 6*16*MiB))

		// The heap report names the line that allocated the kept data and
		// the module global that keeps it.
		Expect(env.HeapText()).To(And(MatchRegexp(`selftest_jobs\.py:\d+ \(return b"\\xa5" \* \(mb \* 1024 \* 1024\)\)`),
			ContainSubstring("<- selftest_jobs._kept (module global)"), ContainSubstring("the growth is reachable, not garbage")))
	})

	It("plateaus when every job drops its 16 MiB (negative control)", func(ctx SpecContext) {
		rec, decided := sixteen(ctx, "drop", env.Config.Budget("selftest-negative-control", 32*MB))

		env.Judge(rec, decided)
		env.Judge(rec, StayBelow(256*MB))
		Expect(env.HeapText()).To(ContainSubstring("No allocation site grew by 1.0 MB or more"))
	})
})
