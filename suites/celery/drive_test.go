package celery_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/fixtures"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/celery"
	"github.com/leakspec/leakspec/worker/recording"
)

// longest is the most a scenario records before its verdict is certain,
// idle start included: its matchers' verdict at the last look is that of
// a run of fixed length, about six seconds of load.
const longest = idle + 7*time.Second

// decide drives load until the verdict of ms on the pool's measure is
// certain, or longest has passed, then waits for the tasks sent to end,
// lets the worker settle for settle and returns the recording, its figures
// in the spec's report. The spec judges it with decided() and whatever else
// it proves of the whole run.
func (s *scenario) decide(ctx SpecContext, settle time.Duration, load fixtures.Load, ms ...types.GomegaMatcher) recording.Recording {
	s.run.DriveUntilDecided(ctx, Plan{Max: longest}, load, ms...)
	_, err := s.waitDone(ctx, int(s.enqueued.Load()))
	Expect(err).NotTo(HaveOccurred())
	return s.finish(settle)
}

// decided is the matcher of the verdict that decide reached.
func (s *scenario) decided() types.GomegaMatcher { return s.run.Decided() }

// keepBusy is the load that keeps every child of the pool busy with task:
// it sends one more whenever fewer than the children are queued or
// running, so that no task waits long in the queue when the load stops.
func (s *scenario) keepBusy(task celery.Task) fixtures.Load {
	return fixtures.Every(50*time.Millisecond, func(ctx context.Context) error {
		if s.enqueued.Load()-int64(s.worker.Tasks.Counts().Done()) >= int64(s.pool.children) {
			return nil
		}
		return s.send(ctx, task)
	})
}

// sendOnce is the load that sends tasks once and waits: the scenarios whose
// tasks retry forever need no more.
func (s *scenario) sendOnce(tasks ...celery.Task) fixtures.Load {
	return func(ctx context.Context) error {
		if err := s.send(ctx, tasks...); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
}

// restingBaseline is the baseline of the pool's measure, the median of its
// idle start, read before the load ends, for a matcher that decides while
// the load runs; figuresOf reads the same off the whole recording.
func (s *scenario) restingBaseline() uint64 {
	return uint64(figuresOf(s.run.Recorder.Snapshot(), s.pool.judged).Baseline)
}

// restingBound is bound, read off the idle start (restingBaseline).
func (s *scenario) restingBound(data, budget uint64) uint64 {
	return s.restingBaseline() + uint64(s.pool.children*s.pool.keeps)*data + budget
}
