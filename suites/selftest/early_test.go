package selftest_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
	"github.com/leakspec/leakspec/worker/rq"
)

// decideEarly runs the selftest job fn on an RQ SimpleWorker, one 4 MiB
// job every 250 ms, for as long as the verdict of PlateauWithin(32 MB) is
// uncertain, at most 30 s, and returns the recording, the decision and its
// matcher, for the judgment.
func decideEarly(ctx SpecContext, fn string) (recording.Recording, Decision, types.GomegaMatcher) {
	w := fixtures.Start(ctx, env, rq.WorkerOptions{Queues: []string{"selftest"}, Imports: []string{"selftest_jobs"}})
	queue := rq.NewQueue(env.RDB, "selftest").WatchWorkers(env.Workers)
	run := env.Record(w)

	load, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		// The load runs until the verdict is in; an error ends it and is
		// reported after, since only the spec's goroutine may fail it.
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := queue.Enqueue(load, rq.Job{Func: "selftest_jobs." + fn, Args: []any{4}}); err != nil {
				done <- err
				return
			}
			select {
			case <-load.Done():
				done <- nil
				return
			case <-tick.C:
			}
		}
	}()
	rec, d := run.FinishWhenDecided(ctx, Plan{Max: 30 * time.Second}, PlateauWithin(32*MB), StayBelow(1*GB))
	stop()
	if err := <-done; err != nil && load.Err() == nil {
		Fail(err.Error())
	}
	AddReportEntry("decision", d.Message)
	return rec, d, run.Decided()
}

var _ = Describe("an early verdict on an RQ SimpleWorker", Label("selftest", "rq", "early"), func() {
	// The plan's six looks come every 5 s after a 6 s warm-up. Either
	// control is certain by the second look, 10 s in, a third of the plan;
	// the assertions leave room up to the last look but one.
	It("stops as soon as keeping 4 MiB per job is certainly a leak (positive control)", func(ctx SpecContext) {
		rec, d, decided := decideEarly(ctx, "keep")

		env.JudgeLeak(rec, decided)
		Expect(d.Message).To(MatchRegexp(`from a baseline of \d+\.\d MB it peaked at \d+\.\d MB \(\+\d+\.\d MB\)`))
		Expect(d.At).To(BeNumerically("<", 30*time.Second), "the leak was only caught at the last look:\n%s", d.Message)
		Expect(rec.Duration).To(BeNumerically("<", 30*time.Second))
	})

	It("stops as soon as dropping 4 MiB per job certainly plateaus (negative control)", func(ctx SpecContext) {
		rec, d, decided := decideEarly(ctx, "drop")

		env.Judge(rec, decided)
		Expect(d.At).To(BeNumerically("<", 30*time.Second), "the plateau was only certain at the last look:\n%s", d.Message)
		env.Judge(rec, StayBelow(256*MB))
	})
})
