package stats

import (
	"fmt"
	"sort"
	"time"
)

// MinEventCounts is the fewest distinct counts of events, among the floors
// a per-event slope is fitted to, that the slope is read from: with two,
// every floor sits at one of two counts and the slope is a difference of
// two groups, not a trend.
const MinEventCounts = 3

// PerEvent judges how much the floor of a series (the minima of its
// windows) grows per event of one kind, by a Theil–Sen line through the
// floors against the number of events that had happened when each floor
// was reached.
type PerEvent struct {
	Envelope
	// Limit is the growth allowed per event, in bytes, and Confidence the
	// one-sided confidence of the bounds of Trend.
	Limit      float64
	Confidence float64
	// Events is how many events the series holds in all, and Counts the
	// number that had happened at each floor; Distinct counts the distinct
	// values among Counts.
	Events   int
	Counts   []float64
	Distinct int
	// Trend is the slope of the floors against Counts, in bytes per event.
	Trend Trend
}

// TooFewEventsError says that the events, as the floors of the windows
// count them, vary too little to fit a slope per event.
type TooFewEventsError struct {
	WarmUp   time.Duration
	Events   int
	Distinct int
}

func (e *TooFewEventsError) Error() string {
	return fmt.Sprintf("not enough data (need at least %d different counts of events at the floors of the windows after the %.1f s warm-up; got %d, from %s in all)",
		MinEventCounts, e.WarmUp.Seconds(), e.Distinct, count(e.Events, "event"))
}

// JudgePerEvent judges the floor of e against limit bytes per event, where
// events are the times of the events in time order. e must hold at least
// MinPoints points. It returns a *TooFewEventsError, with the counts set,
// when fewer than MinEventCounts distinct counts are found at the floors.
func JudgePerEvent(e Envelope, events []time.Duration, limit, confidence float64) (PerEvent, error) {
	p := PerEvent{Envelope: e, Limit: limit, Confidence: confidence, Events: len(events)}
	_, floors, at := e.Floors()
	seen := map[float64]bool{}
	for _, t := range at {
		// The events at the very instant of a floor already count: the
		// floor was sampled after them.
		n := float64(sort.Search(len(events), func(i int) bool { return events[i] > t }))
		p.Counts = append(p.Counts, n)
		seen[n] = true
	}
	p.Distinct = len(seen)
	if p.Distinct < MinEventCounts {
		return p, &TooFewEventsError{WarmUp: e.WarmUp, Events: p.Events, Distinct: p.Distinct}
	}
	p.Trend = Sen(p.Counts, floors, confidence)
	return p, nil
}

// Evidence is Beyond when even the lower bound of the growth per event is
// at or above the limit, Within when its upper bound is below it, and
// Unsure otherwise.
func (p PerEvent) Evidence() Evidence {
	switch {
	case p.Trend.Lower >= p.Limit:
		return Beyond
	case p.Trend.Upper < p.Limit:
		return Within
	default:
		return Unsure
	}
}
