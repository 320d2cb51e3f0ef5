package memtest_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/rq"
)

var _ = Describe("the report job", Label("rq"), func() {
	It("keeps only the last reports' samples in its cache", func(ctx SpecContext) {
		w := fixtures.Start(ctx, env, rq.WorkerOptions{
			Dir:     apps(),
			Queues:  []string{"reports"},
			Imports: []string{"reports_jobs"},
		})
		queue := rq.NewQueue(env.RDB, "reports").WatchWorkers(env.Workers)
		run := env.Record(w)

		jobs := make([]rq.Job, 600)
		for i := range jobs {
			jobs[i] = rq.Job{Func: "reports_jobs.render_report", Args: []any{10_000}}
		}
		_, err := queue.EnqueueMany(ctx, jobs)
		Expect(err).NotTo(HaveOccurred())
		progress, err := queue.WaitFinished(ctx, len(jobs), 100*time.Millisecond)
		Expect(err).NotTo(HaveOccurred())
		Expect(progress.Failed).To(BeZero(), "no report job may fail: %s", progress)

		env.Judge(run.Finish(), PlateauWithin(env.Config.Budget("report-job", 32*MB)))
	})

	It("keeps only the last reports' samples, decided as soon as it is certain", func(ctx SpecContext) {
		w := fixtures.Start(ctx, env, rq.WorkerOptions{
			Dir:     apps(),
			Queues:  []string{"reports"},
			Imports: []string{"reports_jobs"},
		})
		queue := rq.NewQueue(env.RDB, "reports").WatchWorkers(env.Workers)
		run := env.Record(w)

		load := fixtures.Every(25*time.Millisecond, func(ctx context.Context) error {
			_, err := queue.Enqueue(ctx, rq.Job{Func: "reports_jobs.render_report", Args: []any{10_000}})
			return err
		})
		run.DriveUntilDecided(ctx, Plan{Max: 20 * time.Second}, load, PlateauWithin(32*MB, WarmUp(2*time.Second)))
		// A worker that failed every job, or hung, would hold its memory
		// flat and pass: the verdict counts only if the jobs ran.
		progress, err := queue.Progress(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(progress.Failed).To(BeZero(), "no report job may fail: %s", progress)
		Expect(progress.Finished).To(BeNumerically(">=", 100), "the worker must have run the load: %s", progress)
		env.Judge(run.Finish(), run.Decided())
	})
})
