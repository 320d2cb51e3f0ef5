package memtest_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/celery"
)

var _ = Describe("the thumbnail task", Label("celery"), func() {
	It("keeps only the last images' thumbnails in its memo", func(ctx SpecContext) {
		w := fixtures.Start(ctx, env, celery.WorkerOptions{
			Dir: apps(),
			App: "thumbnail_tasks",
		})
		queue := celery.NewQueue(env.RDB, "")
		run := env.Record(w)

		tasks := make([]celery.Task, 600)
		for i := range tasks {
			tasks[i] = celery.Task{Name: "thumbnail_tasks.thumbnail", Args: []any{i}}
		}
		_, err := queue.EnqueueMany(ctx, tasks)
		Expect(err).NotTo(HaveOccurred())
		counts, err := w.Tasks.WaitDone(ctx, len(tasks))
		Expect(err).NotTo(HaveOccurred())
		Expect(counts.Failed).To(BeZero(), "no thumbnail task may fail: %s", counts)

		env.Judge(run.Finish(), PlateauWithin(32*MB))
	})
})
