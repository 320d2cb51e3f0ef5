package memtest_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/dramatiq"
)

var _ = Describe("the ingest actor", Label("dramatiq"), func() {
	It("keeps only the last failures' payloads", func(ctx SpecContext) {
		w := fixtures.Start(ctx, env, dramatiq.WorkerOptions{
			Dir:    apps(),
			Module: "ingest_actors",
		})
		queue := dramatiq.NewQueue(env.RDB, "")
		run := env.Record(w)

		messages := make([]dramatiq.Message, 400)
		for i := range messages {
			messages[i] = dramatiq.Message{Actor: "ingest", Args: []any{i}}
		}
		_, err := queue.EnqueueMany(ctx, messages)
		Expect(err).NotTo(HaveOccurred())
		_, err = queue.WaitFinished(ctx, len(messages), 100*time.Millisecond)
		Expect(err).NotTo(HaveOccurred())

		env.Judge(run.Finish(), PlateauWithin(32*MB))
	})
})
