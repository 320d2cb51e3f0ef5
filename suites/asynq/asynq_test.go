package asynq_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

var _ = Describe("an asynq worker", Label("go", "asynq"), func() {
	Describe("in scenario 1, failing with 128 MiB", func() {
		It("lets each error go before the retry", func(ctx SpecContext) {
			rec, run, progress := drive(ctx, "fail", scenario{
				args:  []string{"-size", "128MiB", "-concurrency", "2"},
				tasks: 2, maxRetry: 8,
			})
			Expect(progress.Failed).To(Equal(18), "every attempt fails: %s", progress)

			heap := rec.Series(recording.HeapLive)
			// Two attempts hold their 128 MiB from the first task on: the
			// load begins at once, and the warm-up says so, so that the
			// plateau is judged from the level of the work in flight.
			env.Judge(heap, run.Explain(PlateauWithin(env.Config.Budget("asynq-failed-errors", 64*MB), WarmUp(time.Second))))
			env.Judge(rec, StayBelow(1*GB))
		})

		It("is caught when an error handler keeps the errors", func(ctx SpecContext) {
			rec, run, progress := drive(ctx, "fail", scenario{
				args:  []string{"-size", "16MiB", "-concurrency", "2", "-keep-errors"},
				tasks: 2, maxRetry: 8,
			})
			Expect(progress.Failed).To(Equal(18), "every attempt fails: %s", progress)

			heap := rec.Series(recording.HeapLive)
			plateau := run.Explain(PlateauWithin(32 * MB))
			env.JudgeLeak(heap, plateau)
			message := plateau.FailureMessage(heap)
			AddReportEntry("verdict", message)
			Expect(message).To(ContainSubstring("main.handleFail"))
		})
	})

	Describe("in scenario 2, sleeping on 64 MiB", func() {
		// The tasks start a quarter of the sleep apart, so four overlap: a
		// handler that holds its data through the sleep keeps four tasks'
		// data live, one that drops it only the data of the task that is
		// allocating. Between the two lies this bound.
		const bound = 64 * MiB * 5 / 2
		hold := scenario{
			args:  []string{"-size", "64MiB", "-sleep", "1s", "-concurrency", "4"},
			tasks: 24, gap: 250 * time.Millisecond,
		}

		It("plateaus holding its data through the sleep", func(ctx SpecContext) {
			rec, run, _ := drive(ctx, "hold", hold)

			heap := rec.Series(recording.HeapLive)
			// Four sleeping tasks hold their data from the first second on:
			// the warm-up says where that load is in full.
			env.Judge(heap, run.Explain(PlateauWithin(env.Config.Budget("asynq-hold", 64*MB), WarmUp(2*time.Second))))
			Expect(heap.Peak()).To(BeNumerically(">", bound),
				"the live heap never held the data of the sleeping tasks, so the scenario did not run as designed")
		})

		It("plateaus lower dropping its data first", func(ctx SpecContext) {
			rec, run, _ := drive(ctx, "drop", hold)

			heap := rec.Series(recording.HeapLive)
			// Each task's 64 MiB is live from its start until a collection
			// after it drops them, and a task starts every quarter of a
			// second: the live heap's floor is one task's data from the
			// first task on. The warm-up says where that load begins, as
			// for the spec above.
			env.Judge(heap, run.Explain(PlateauWithin(env.Config.Budget("asynq-drop", 64*MB), WarmUp(time.Second))))
			env.Judge(heap, run.Explain(StayBelow(bound)))
		})
	})

	It("is caught, and named, keeping data in a package slice (positive control)", func(ctx SpecContext) {
		rec, run, _ := drive(ctx, "keep", scenario{args: []string{"-size", "8MiB"}, tasks: 60, gap: 100 * time.Millisecond})

		heap := rec.Series(recording.HeapLive)
		plateau := run.Explain(PlateauWithin(32 * MB))
		env.JudgeLeak(heap, plateau)
		message := plateau.FailureMessage(heap)
		AddReportEntry("verdict", message)
		Expect(message).To(MatchRegexp(`\+\d+\.\d MB +main\.handleKeep`))
	})

	It("plateaus dropping its data (negative control)", func(ctx SpecContext) {
		rec, run, _ := drive(ctx, "discard", scenario{args: []string{"-size", "8MiB"}, tasks: 60, gap: 100 * time.Millisecond})

		env.Judge(rec.Series(recording.HeapLive), run.Explain(PlateauWithin(env.Config.Budget("asynq-negative-control", 32*MB))))
		env.Judge(rec, StayBelow(256*MB))
	})
})
