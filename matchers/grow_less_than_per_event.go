package matchers

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

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
