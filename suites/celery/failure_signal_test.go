package celery_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

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
		It(fmt.Sprintf("%s is caught leaking (positive control)", p.on), p.label, Label(fixtures.TraceHeapLabel), SpecTimeout(specTimeout), func(ctx SpecContext) {
			s, rec := fail(ctx, p, "keep_failures", plateauWithin(failureBudget))

			judged := s.judged(rec)
			env.JudgeLeak(judged, s.decided())
			AddReportEntry("leak_message", s.decided().FailureMessage(judged))

			// The failures keep 32 MiB each between the children: the
			// growth must be of that order, or the recording measured
			// something other than the worker.
			f := figuresOf(rec, p.judged)
			failed := s.worker.Tasks.Counts().Failed
			Expect(failed).To(BeNumerically(">=", 6), "a leak was caught before six tasks had failed")
			last := judged.Samples[len(judged.Samples)-1]
			Expect(float64(last.RSS) - f.Baseline).To(BeNumerically(">", 0.75*float64(failed)*32*float64(MiB)))

			// The heap report names the line that allocated the kept data
			// and the handler's list that keeps it, in the pool's children.
			Expect(env.HeapText()).To(And(MatchRegexp(`scenarios\.py:\d+ \(return b"\\xa5" \* \(mb \* 1024 \* 1024\)\)`),
				ContainSubstring("<- keep_failures.kept (module global)"), ContainSubstring("the growth is reachable, not garbage")))
		})

		It(fmt.Sprintf("%s is what leaks: without it, failures plateau (negative control)", p.on), p.label, SpecTimeout(specTimeout), func(ctx SpecContext) {
			s, rec := fail(ctx, p, "collect_before_tasks", plateauWithin(failureBudget))

			env.Judge(s.judged(rec), s.decided())
		})
	}

	// Why leakspec warns about --max-tasks-per-child: a child replaced
	// after two tasks takes the exceptions it kept with it, and the leak
	// that the positive control catches goes unseen.
	It(pools[1].on+" goes unseen with --max-tasks-per-child, and the report warns of it", pools[1].label, SpecTimeout(specTimeout), func(ctx SpecContext) {
		const tasksPerChild = 2
		p := pools[1]
		p.opts.MaxTasksPerChild = tasksPerChild
		// A child keeps at most its two tasks' exceptions before it is
		// replaced, so the peaks stay within those of both children.
		hidden := uint64(p.children*tasksPerChild*32)*MiB + 32*MB
		s, rec := fail(ctx, p, "keep_failures", plateauWithin(hidden))

		Expect(rec.Events).To(ContainElement(HaveField("Name", celery.EventWarning)), "the recording carries the warning")
		var warnings []string
		for _, entry := range CurrentSpecReport().ReportEntries {
			if entry.Name == "warning" {
				warnings = append(warnings, entry.StringRepresentation())
			}
		}
		Expect(warnings).To(ConsistOf(ContainSubstring("--max-tasks-per-child 2")), "the report carries the warning")
		env.Judge(s.judged(rec), s.decided())
	})
})

// fail sends a task that fails holding 32 MiB every 250 ms to the worker of
// app, until the verdict of ms is certain, and checks that every task sent
// failed.
func fail(ctx SpecContext, p pool, app string, ms ...types.GomegaMatcher) (*scenario, recording.Recording) {
	s := start(ctx, p, app)
	task := celery.Task{Name: "scenarios.fail_holding", Args: []any{32}}
	rec := s.decide(ctx, 0, fixtures.Every(250*time.Millisecond, func(ctx context.Context) error { return s.send(ctx, task) }), ms...)
	counts := s.worker.Tasks.Counts()
	Expect(counts.Failed).To(BeEquivalentTo(s.enqueued.Load()), "every task fails: %s", counts)
	return s, rec
}
