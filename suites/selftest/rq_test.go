package selftest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
	"github.com/leakspec/leakspec/worker/rq"
)

// Each job allocates this much; the positive control keeps all of it.
const jobMiB = 16

// drive runs the selftest job fn on an RQ SimpleWorker, one job every
// 250 ms for about 10 s, and returns the recording of the worker's memory.
func drive(ctx SpecContext, fn string) recording.Recording {
	proc, err := rq.StartWorker(ctx, rq.WorkerOptions{
		Python:   env.Config.Python.Interpreter,
		Dir:      env.AppsFor("rq"),
		RedisURL: env.Redis.URL,
		Queues:   []string{"selftest"},
		LogPath:  env.SpecPath("log"),
	})
	if proc != nil {
		DeferCleanup(proc.Stop)
	}
	Expect(err).NotTo(HaveOccurred())

	rdb, err := env.Redis.Client()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(rdb.Close)
	queue := rq.NewQueue(rdb, "selftest")

	run := env.Record(proc)
	const jobs = 40
	for i := range jobs {
		_, err := queue.Enqueue(ctx, rq.Job{Func: "selftest_jobs." + fn, Args: []any{jobMiB}})
		Expect(err).NotTo(HaveOccurred())
		run.Recorder.Event("enqueued", "")
		if i < jobs-1 {
			time.Sleep(250 * time.Millisecond)
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
		ok, err := plateau.Match(rec)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse(), "the leak was not caught:\n%s", plateau.NegatedFailureMessage(rec))
		message := plateau.FailureMessage(rec)
		Expect(message).To(MatchRegexp(`baseline of \d+\.\d MB`))
		Expect(message).To(MatchRegexp(`peaked at \d+\.\d MB`))
		Expect(message).To(MatchRegexp(`\(\+\d+\.\d MB\)`))
		AddReportEntry("verdict", message)

		// 40 jobs keep 640 MiB: the growth must be of that order, or the
		// recording measured something other than the worker.
		Expect(rec.Peak() - rec.Samples[0].RSS).To(BeNumerically(">", 500*MB))
	})

	It("plateaus when every job drops its 16 MiB (negative control)", func(ctx SpecContext) {
		rec := drive(ctx, "drop")

		Expect(rec).To(PlateauWithin(32 * MB))
		Expect(rec).To(StayBelow(256 * MB))
	})
})
