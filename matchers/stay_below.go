package matchers

import (
	"fmt"
	"slices"
	"time"

	"github.com/leakspec/leakspec/matchers/stats"
)

// stayBelowMatcher is made by StayBelow.
type stayBelowMatcher struct {
	limit uint64
}

// Match reports whether the recording stayed below the limit, or an error
// when actual cannot be judged.
func (m *stayBelowMatcher) Match(actual any) (bool, error) {
	f, err := m.find(actual)
	return f.passed, err
}

// FailureMessage tells how far a recording went past the limit.
func (m *stayBelowMatcher) FailureMessage(actual any) string {
	return m.message(actual, false)
}

// NegatedFailureMessage tells how far below the limit a recording stayed
// when it was expected to reach it.
func (m *stayBelowMatcher) NegatedFailureMessage(actual any) string {
	return m.message(actual, true)
}

func (m *stayBelowMatcher) message(actual any, negated bool) string {
	f, err := m.find(actual)
	if err != nil {
		return err.Error()
	}
	return f.message(negated)
}

// find judges actual and words the verdict, like plateauWithinMatcher.find.
func (m *stayBelowMatcher) find(actual any) (finding, error) {
	rec, err := recordingOf("StayBelow", actual)
	if err != nil {
		return finding{}, err
	}
	at, rss := series(rec)
	limit := float64(m.limit)
	peakAt, peak := stats.Peak(at, rss)

	// The chart reaches up to the limit, so that it shows the headroom.
	f := finding{
		passed:      rec.Aborted == "" && peak < limit,
		expectation: "stay below " + mb(limit),
		details:     stayBelowDetails(peak, peakAt, limit, stats.AtLeast(rss, limit), len(rss), at[len(at)-1]),
		chart:       chart(at, rss, 0, slices.Min(rss), max(peak, limit)),
	}
	switch {
	case rec.Aborted != "":
		f.outcome = abortedOutcome(rec.Aborted)
	case f.passed:
		f.outcome = "it did"
	default:
		f.outcome = "it did not"
	}
	return f, nil
}

// stayBelowDetails tells where the peak stood against the limit and how many
// samples were at or above it.
func stayBelowDetails(peak float64, peakAt time.Duration, limit float64, above, samples int, last time.Duration) string {
	against := mb(peak-limit) + " above the limit"
	if peak < limit {
		against = mb(limit-peak) + " below the limit"
	}
	return fmt.Sprintf("it peaked at %s at %s, %s; %d of %s over %s were at or above it",
		mb(peak), seconds(peakAt), against, above, count(samples, "sample"), seconds(last))
}
