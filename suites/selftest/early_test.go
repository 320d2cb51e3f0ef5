package selftest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// earlyPlan records for at most 15 s and looks every 2.5 s, after the
// default warm-up of a fifth of the plan, 3 s.
var earlyPlan = Plan{Max: 15 * time.Second}

// decideEarly drives the selftest job fn on an RQ SimpleWorker, one 4 MiB
// job every 250 ms, for as long as the verdict of PlateauWithin(32 MB) is
// uncertain, at most 15 s, and returns the recording, the decision and its
// matcher, for the judgment.
func decideEarly(ctx SpecContext, fn string) (recording.Recording, Decision, types.GomegaMatcher) {
	s := startSelftest(ctx)
	d := s.run.DriveUntilDecided(ctx, earlyPlan, s.every(250*time.Millisecond, fn, 4), PlateauWithin(32*MB), StayBelow(1*GB))
	rec := s.run.Finish()
	AddReportEntry("decision", d.Message)
	return rec, d, s.run.Decided()
}

var _ = Describe("an early verdict on an RQ SimpleWorker", Label("selftest", "rq", "early"), func() {
	// Either control is certain by the third look, 7.5 s in, half the
	// plan; the assertions leave room up to the last look but one.
	It("stops as soon as keeping 4 MiB per job is certainly a leak (positive control)", func(ctx SpecContext) {
		rec, d, decided := decideEarly(ctx, "keep")

		env.JudgeLeak(rec, decided)
		Expect(d.Message).To(MatchRegexp(`from a baseline of \d+\.\d MB it peaked at \d+\.\d MB \(\+\d+\.\d MB\)`))
		Expect(d.At).To(BeNumerically("<", earlyPlan.Max), "the leak was only caught at the last look:\n%s", d.Message)
		Expect(rec.Duration).To(BeNumerically("<", earlyPlan.Max))
	})

	It("stops as soon as dropping 4 MiB per job certainly plateaus (negative control)", func(ctx SpecContext) {
		rec, d, decided := decideEarly(ctx, "drop")

		env.Judge(rec, decided)
		Expect(d.At).To(BeNumerically("<", earlyPlan.Max), "the plateau was only certain at the last look:\n%s", d.Message)
		env.Judge(rec, StayBelow(256*MB))
	})
})
