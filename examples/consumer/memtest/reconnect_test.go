package memtest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/celery"
)

var _ = Describe("the price table", Label("celery"), func() {
	It("is loaded once however often the broker connection is lost", SpecTimeout(2*time.Minute), func(ctx SpecContext) {
		w := fixtures.Start(ctx, env, celery.WorkerOptions{
			Dir: apps(),
			App: "pricing_tasks",
		})
		queue := celery.NewQueue(env.RDB, "")
		run := env.Record(w)

		// Eight rounds of 40 tasks, the broker connection lost after each:
		// the consumer restarts, and loads the table, eight times. Each
		// round is done before the drop, so that no task is in flight when
		// the connection goes: Redis would hand it out again only after
		// kombu's visibility timeout, an hour.
		const rounds, perRound = 8, 40
		for round := range rounds {
			for i := range perRound {
				_, err := queue.Enqueue(ctx, celery.Task{Name: "pricing_tasks.price", Args: []any{i}})
				Expect(err).NotTo(HaveOccurred())
			}
			counts, err := w.Tasks.WaitDone(ctx, (round+1)*perRound)
			Expect(err).NotTo(HaveOccurred())
			Expect(counts.Failed).To(BeZero(), "no price task may fail: %s", counts)
			_, err = env.DropConnections(ctx)
			Expect(err).NotTo(HaveOccurred())
			time.Sleep(500 * time.Millisecond) // the consumer reconnects
		}

		env.Judge(run.Finish(), PlateauWithin(32*MB))
	})
})
