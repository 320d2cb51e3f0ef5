package matchers

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// GrowLessThanPerEvent succeeds when the floor of the recording's memory
// (the minima of its windows after the warm-up) grows less than limit bytes
// per event of the given name, such as "retry": the slope of a Theil–Sen
// line through the floors against the number of those events that had
// happened when each floor was reached. It fails only on evidence, when even
// the lower confidence bound of that slope reaches the limit.
//
//	Expect(rec).To(GrowLessThanPerEvent(1*MB, "retry"))
//
// This is the matcher for the leak that holds something per message: a
// worker that keeps every retried exception grows by the same amount per
// retry however the retries are spread in time. It takes the options
// WarmUp, Windows, WindowSize and Confidence, and fails as inconclusive
// without at least 6 windows of at least 3 samples, or when the floors see
// fewer than 3 different counts of the event.
func GrowLessThanPerEvent(limit uint64, event string, opts ...Option) types.GomegaMatcher {
	return &matcher{judge: &growLessThanPerEvent{limit: limit, event: event, settings: newSettings(opts)}}
}

// growLessThanPerEvent is the judge of GrowLessThanPerEvent.
type growLessThanPerEvent struct {
	limit    uint64
	event    string
	settings settings
}

func (m *growLessThanPerEvent) name() string { return "GrowLessThanPerEvent" }

func (m *growLessThanPerEvent) bound() Bound {
	return Bound{Expectation: fmt.Sprintf("grow less than %s per %q", smallSize(float64(m.limit), false), m.event)}
}

func (m *growLessThanPerEvent) judge(rec recording.Recording, l look) (finding, error) {
	if err := m.settings.validate(m.name(), windowOptions...); err != nil {
		return finding{}, err
	}
	if m.event == "" {
		return finding{}, errors.New("GrowLessThanPerEvent needs the name of an event, but was given an empty one")
	}
	env, f, judged, err := openWindows(m, m.settings, rec, l, 0, "floor")
	if err != nil || !judged {
		return f, err
	}
	var events []time.Duration
	for _, e := range rec.Events {
		if e.Name == m.event {
			events = append(events, e.At)
		}
	}
	slices.Sort(events)
	p, err := stats.JudgePerEvent(env, events, float64(m.limit), l.confidenceOr(m.settings.confidence))
	var few *stats.TooFewEventsError
	switch {
	case errors.As(err, &few) && rec.Aborted != "":
		f.details = fmt.Sprintf("%s, with too few %q events after the %s warm-up to judge its floor per event", runFigures(env), m.event, seconds(env.WarmUp))
		return f, nil
	case errors.As(err, &few):
		return finding{}, &inconclusiveError{matcher: m.name(), err: err, advice: fmt.Sprintf("drive more %q events, or record for longer", m.event)}
	case err != nil:
		return finding{}, fmt.Errorf("judge %s: %w", m.name(), err)
	}
	f.evidence = p.Evidence()
	f.passed = f.evidence != stats.Beyond
	f.details = fmt.Sprintf("%s; after the %s warm-up the floor of %s grew %s per %q (%s) over %s, %d different counts of them",
		runFigures(env), seconds(env.WarmUp), windowsFigures(env), smallSize(p.Trend.Slope, true), m.event,
		boundsIn(p.Trend, p.Confidence, func(v float64) string { return smallSize(v, false) }), count(p.Events, "event"), p.Distinct)
	f.outcome = "it did"
	if !f.passed {
		f.outcome = "it grew more"
	}
	return f, nil
}
