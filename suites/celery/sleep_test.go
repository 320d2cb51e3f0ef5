package celery_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/celery"
)

// sleepers are how many tasks of 0.5 s each child runs: about six seconds
// of work.
const sleepers = 12

var _ = Describe("a task sleeping", Label("celery"), func() {
	for _, p := range pools {
		It(fmt.Sprintf("%s while it holds 128 MiB plateaus, and comes down after", p.on), SpecTimeout(specTimeout), func(ctx SpecContext) {
			s := start(ctx, p, "scenarios")
			tasks := make([]celery.Task, sleepers*p.children)
			for i := range tasks {
				tasks[i] = celery.Task{Name: "scenarios.hold_through_sleep", Args: []any{128, 0.5}}
			}
			s.enqueue(ctx, tasks...)
			counts, err := s.waitDone(ctx, len(tasks))
			Expect(err).NotTo(HaveOccurred())
			rec := s.finish()

			Expect(counts.Succeeded).To(Equal(len(tasks)), "every task returns: %s", counts)
			f := figuresOf(rec, p.judged)
			held := float64(p.children) * 128 * float64(MiB)
			Expect(f.Running-f.Baseline).To(BeNumerically(">", 0.75*held),
				"while the tasks sleep, each child holds its 128 MiB")
			Expect(f.Settled-f.Baseline).To(BeNumerically("<", 16*MB),
				"once the tasks have returned, the memory is back at its baseline")
			Expect(s.judged(rec)).To(plateauWithin(64*MB), "%s %s", p.judged, p.on)
		})

		It(fmt.Sprintf("%s after it dropped its 128 MiB is back at its baseline", p.on), SpecTimeout(specTimeout), func(ctx SpecContext) {
			s := start(ctx, p, "scenarios")
			tasks := make([]celery.Task, sleepers*p.children)
			for i := range tasks {
				tasks[i] = celery.Task{Name: "scenarios.drop_then_sleep", Args: []any{128, 0.5}}
			}
			s.enqueue(ctx, tasks...)
			counts, err := s.waitDone(ctx, len(tasks))
			Expect(err).NotTo(HaveOccurred())
			rec := s.finish()

			Expect(counts.Succeeded).To(Equal(len(tasks)), "every task returns: %s", counts)
			// The 128 MiB live for milliseconds at the start of each task,
			// which a sample may or may not catch; the sleeps, most of the
			// run, are what is judged.
			f := figuresOf(rec, p.judged)
			Expect(f.Running-f.Baseline).To(BeNumerically("<", 16*MB),
				"while the tasks sleep, their memory is back at its baseline")
			Expect(f.Settled-f.Baseline).To(BeNumerically("<", 16*MB),
				"once the tasks have returned, the memory is at its baseline")
			Expect(s.judged(rec)).To(StayBelow(uint64(f.Baseline)+uint64(p.children)*160*MB), "%s %s", p.judged, p.on)
		})
	}
})
