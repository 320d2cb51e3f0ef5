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

// drive runs the selftest job fn (fixtures/rq/selftest_jobs.py) on an RQ
// SimpleWorker, one 16 MiB job every 125 ms for 5 s, and returns the
// recording of the worker's memory.
func drive(ctx SpecContext, fn string) recording.Recording {
	const jobs, every, mib = 40, 125 * time.Millisecond, 16

	w := fixtures.Start(ctx, env, rq.WorkerOptions{Queues: []string{"selftest"}, Imports: []string{"selftest_jobs"}})
	queue := rq.NewQueue(env.RDB, "selftest").WatchWorkers(env.Workers)
	run := env.Record(w, fixtures.TraceHeap())
	for i := range jobs {
		_, err := queue.Enqueue(ctx, rq.Job{Func: "selftest_jobs." + fn, Args: []any{mib}})
		Expect(err).NotTo(HaveOccurred())
		run.Recorder.Event("enqueued", "")
		if i < jobs-1 {
			time.Sleep(every)
		}
	}
	progress, err := queue.WaitFinished(ctx, jobs, 50*time.Millisecond)
	Expect(err).NotTo(HaveOccurred())
	Expect(progress.Failed).To(BeZero(), "no selftest job may fail: %s", progress)
	return run.Finish()
}

var _ = Describe("an RQ SimpleWorker", Label("selftest", "rq"), func() {
	It("is caught leaking when every job keeps its 16 MiB (positive control)", func(ctx SpecContext) {
		rec := drive(ctx, "keep")

		plateau := PlateauWithin(32 * MB)
		env.JudgeLeak(rec, plateau)
		message := plateau.FailureMessage(rec)
		Expect(message).To(MatchRegexp(`from a baseline of \d+\.\d MB it peaked at \d+\.\d MB \(\+\d+\.\d MB\)`))
		AddReportEntry("leak_message", message)

		// 40 jobs keep 640 MiB (671 MB): the growth must be of that order,
		// or the recording measured something other than the worker.
		Expect(rec.Peak() - rec.Samples[0].RSS).To(BeNumerically(">", 500*MB))

		// The heap report names the line that allocated the kept data and
		// the module global that keeps it.
		Expect(env.HeapText()).To(And(MatchRegexp(`selftest_jobs\.py:\d+ \(return b"\\xa5" \* \(mb \* 1024 \* 1024\)\)`),
			ContainSubstring("<- selftest_jobs._kept (module global)"), ContainSubstring("the growth is reachable, not garbage")))
	})

	It("plateaus when every job drops its 16 MiB (negative control)", func(ctx SpecContext) {
		rec := drive(ctx, "drop")

		env.Judge(rec, PlateauWithin(env.Config.Budget("selftest-negative-control", 32*MB)))
		env.Judge(rec, StayBelow(256*MB))
		Expect(env.HeapText()).To(ContainSubstring("No allocation site grew by 1.0 MB or more"))
	})
})
