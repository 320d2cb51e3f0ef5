package selftest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
	"github.com/leakspec/leakspec/worker/rq"
)

// failJobs runs the failing selftest job fn (fixtures/rq/selftest_jobs.py)
// on an RQ SimpleWorker, one 8 MiB job every 50 ms for 20 s, none retried,
// and returns the recording of the worker's memory once every job failed.
func failJobs(ctx SpecContext, fn string) recording.Recording {
	const jobs, every, mib = 400, 50 * time.Millisecond, 8

	w := fixtures.Start(ctx, env, rq.WorkerOptions{Queues: []string{"selftest"}, Imports: []string{"selftest_jobs"}})
	queue := rq.NewQueue(env.RDB, "selftest").WatchWorkers(env.Workers)
	run := env.Record(w)
	for i := range jobs {
		_, err := queue.Enqueue(ctx, rq.Job{Func: "selftest_jobs." + fn, Args: []any{mib}})
		Expect(err).NotTo(HaveOccurred())
		if i < jobs-1 {
			time.Sleep(every)
		}
	}
	// A failed job ends in RQ's failed registry, which WaitFinished counts
	// as done: every job must get there, and none finish.
	progress, err := queue.WaitFinished(ctx, jobs, 50*time.Millisecond)
	Expect(err).NotTo(HaveOccurred())
	Expect(progress.Failed).To(BeEquivalentTo(jobs), "every job must fail, none be retried: %s", progress)
	return run.Finish()
}

// A failing handler whose exception ends up in a reference cycle with its
// traceback's frame keeps the frame's locals until the cyclic collector
// runs: memory climbs within seconds to a level far above the worker's
// rest, and saws there as the collector frees a part now and then. Its
// peaks level off, so only the level, measured from where the load began,
// tells it from a clean worker.
var _ = Describe("an RQ SimpleWorker whose failing jobs leave reference cycles", Label("selftest", "rq", "cycles"), func() {
	It("is caught holding 8 MiB per failure in a cycle (positive control)", func(ctx SpecContext) {
		rec := failJobs(ctx, "fail_in_cycle")

		plateau := PlateauWithin(32 * MB)
		env.JudgeLeak(rec, plateau)
		AddReportEntry("leak_message", plateau.FailureMessage(rec))
		// Untraced, the GC diagnosis still tells cyclic garbage from a leak.
		Expect(env.HeapText()).To(ContainSubstring("garbage in reference cycles, waiting for the collector, not a leak"))
	})

	It("plateaus when the same jobs break the cycle (negative control)", func(ctx SpecContext) {
		rec := failJobs(ctx, "fail_cycle_broken")

		env.Judge(rec, PlateauWithin(32*MB))
	})
})
