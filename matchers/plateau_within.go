package matchers

import (
	"errors"
	"fmt"
	"slices"

	"github.com/leakspec/leakspec/matchers/stats"
)

// plateauWithinMatcher is made by PlateauWithin.
type plateauWithinMatcher struct {
	budget   uint64
	settings settings
}

// Match reports whether the recording's peaks plateaued within the budget,
// or an error when actual cannot be judged.
func (m *plateauWithinMatcher) Match(actual any) (bool, error) {
	f, err := m.find(actual)
	return f.passed, err
}

// FailureMessage tells why a recording did not plateau.
func (m *plateauWithinMatcher) FailureMessage(actual any) string {
	return m.message(actual, false)
}

// NegatedFailureMessage tells how a recording plateaued when it was not
// expected to.
func (m *plateauWithinMatcher) NegatedFailureMessage(actual any) string {
	return m.message(actual, true)
}

func (m *plateauWithinMatcher) message(actual any, negated bool) string {
	f, err := m.find(actual)
	if err != nil {
		return err.Error()
	}
	return f.message(negated)
}

// find judges actual and words the verdict. Messages judge again rather than
// keep state from Match, so a matcher can be shared between assertions.
func (m *plateauWithinMatcher) find(actual any) (finding, error) {
	const name = "PlateauWithin"
	rec, err := recordingOf(name, actual)
	if err != nil {
		return finding{}, err
	}
	if err := m.settings.validate(name); err != nil {
		return finding{}, err
	}
	at, rss := series(rec)
	s, err := stats.Summarize(at, rss, m.settings.warmUpFor(at[len(at)-1]), m.settings.windows)
	var short *stats.InsufficientDataError
	conclusive := err == nil
	switch {
	case errors.As(err, &short) && rec.Aborted != "":
		// The series ended early because the run was stopped; what it
		// shows is still worth telling.
	case errors.As(err, &short):
		return finding{}, fmt.Errorf("%s is inconclusive: %w; record for longer or sample more often", name, err)
	case err != nil:
		return finding{}, fmt.Errorf("judge %s: %w", name, err)
	}

	// The chart is at least a budget tall, so that noise well within the
	// budget looks as small as it is.
	budget, floor := float64(m.budget), slices.Min(rss)
	f := finding{
		passed:      rec.Aborted == "" && s.PlateausWithin(budget),
		expectation: "plateau within " + mb(budget),
		details:     plateauDetails(s, conclusive),
		chart:       chart(at, rss, s.WarmUp, floor, max(s.Peak, floor+budget)),
	}
	switch {
	case rec.Aborted != "":
		f.outcome = abortedOutcome(rec.Aborted)
	case f.passed:
		f.outcome = "it did"
	case s.Trend > budget:
		f.outcome = "it kept growing"
	default:
		f.outcome = "its peaks rose too far"
	}
	return f, nil
}

// plateauDetails tells the numbers of a summary: first the whole run, then
// the peaks after the warm-up, which the verdict rests on.
func plateauDetails(s stats.Summary, conclusive bool) string {
	run := fmt.Sprintf("from a baseline of %s it peaked at %s (%s) over %s (%s)",
		mb(s.Baseline), mb(s.Peak), signedMB(s.Growth()), seconds(s.Duration), count(s.Samples, "sample"))
	if !conclusive {
		return fmt.Sprintf("%s, too few after the %s warm-up to judge its peaks", run, seconds(s.WarmUp))
	}
	windows := count(s.Peaks, "window")
	if s.Peaks < len(s.Windows) {
		windows = fmt.Sprintf("%d of %d windows", s.Peaks, len(s.Windows))
	}
	width := s.Windows[0].End - s.Windows[0].Start
	return fmt.Sprintf("%s; after the %s warm-up the peaks of %s of %s rose %s and trend at %s, %s over the %s judged",
		run, seconds(s.WarmUp), windows, seconds(width), signedMB(s.Rise), mbPerMinute(s.SlopePerMinute), signedMB(s.Trend), seconds(s.Judged))
}
