package celery_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/celery"
	"github.com/leakspec/leakspec/worker/recording"
)

// failureBudget is the growth the failure scenarios tolerate. Without the
// leak, a pool child holds at most two exceptions of 32 MiB: the running
// task's, and the last one's until the next task ends (prefork's children
// keep it in their loop). The leak keeps every one.
const failureBudget = 96 * MB

var _ = Describe("a task_failure handler that keeps every exception", Label("celery"), func() {
	for _, p := range pools {
		It(fmt.Sprintf("%s is caught leaking (positive control)", p.on), Label(fixtures.TraceHeapLabel), SpecTimeout(specTimeout), func(ctx SpecContext) {
			s, rec := fail(ctx, p, "keep_failures")

			judged := s.judged(rec)
			plateau := plateauWithin(failureBudget)
			env.JudgeLeak(judged, plateau)
			AddReportEntry("leak_message", plateau.FailureMessage(judged))

			// The failures keep 768 MiB (805 MB) between the children: the
			// growth must be of that order, or the recording measured
			// something other than the worker.
			f := figuresOf(rec, p.judged)
			Expect(f.Settled - f.Baseline).To(BeNumerically(">", 600*MB))

			// The heap report names the line that allocated the kept data
			// and the handler's list that keeps it, in the pool's children.
			Expect(env.HeapText()).To(And(MatchRegexp(`scenarios\.py:\d+ \(return b"\\xa5" \* \(mb \* 1024 \* 1024\)\)`),
				ContainSubstring("<- keep_failures.kept (module global)"), ContainSubstring("the growth is reachable, not garbage")))
		})

		It(fmt.Sprintf("%s is what leaks: without it, failures plateau (negative control)", p.on), SpecTimeout(specTimeout), func(ctx SpecContext) {
			s, rec := fail(ctx, p, "collect_before_tasks")

			env.Judge(s.judged(rec), plateauWithin(failureBudget))
		})
	}

	// Why leakspec warns about --max-tasks-per-child: a child replaced
	// after two tasks takes the exceptions it kept with it, and the leak
	// that the positive control catches goes unseen.
	It(pools[1].on+" goes unseen with --max-tasks-per-child, and the report warns of it", SpecTimeout(specTimeout), func(ctx SpecContext) {
		const tasksPerChild = 2
		p := pools[1]
		p.opts.MaxTasksPerChild = tasksPerChild
		s, rec := fail(ctx, p, "keep_failures")

		Expect(rec.Events).To(ContainElement(HaveField("Name", celery.EventWarning)), "the recording carries the warning")
		var warnings []string
		for _, entry := range CurrentSpecReport().ReportEntries {
			if entry.Name == "warning" {
				warnings = append(warnings, entry.StringRepresentation())
			}
		}
		Expect(warnings).To(ConsistOf(ContainSubstring("--max-tasks-per-child 2")), "the report carries the warning")
		// A child keeps at most its two tasks' exceptions before it is
		// replaced, so the peaks stay within those of both children.
		hidden := uint64(p.children*tasksPerChild*32)*MiB + 32*MB
		env.Judge(s.judged(rec), plateauWithin(hidden))
	})
})

// fail runs 24 tasks that fail holding 32 MiB each, one every 250 ms, on
// the worker of app.
func fail(ctx SpecContext, p pool, app string) (*scenario, recording.Recording) {
	const tasks, every, mib = 24, 250 * time.Millisecond, 32

	s := start(ctx, p, app)
	for i := range tasks {
		s.enqueue(ctx, celery.Task{Name: "scenarios.fail_holding", Args: []any{mib}})
		if i < tasks-1 {
			time.Sleep(every)
		}
	}
	counts, err := s.waitDone(ctx, tasks)
	Expect(err).NotTo(HaveOccurred())
	rec := s.finish()
	Expect(counts.Failed).To(Equal(tasks), "every task fails: %s", counts)
	return s, rec
}
