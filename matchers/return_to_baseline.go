package matchers

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// returnToBaseline is the judge of ReturnToBaseline.
type returnToBaseline struct {
	within   uint64
	settings settings
}

func (m *returnToBaseline) name() string { return "ReturnToBaseline" }

func (m *returnToBaseline) bound() Bound {
	return Bound{Expectation: "return to within " + mb(float64(m.within)) + " of its baseline"}
}

func (m *returnToBaseline) judge(rec recording.Recording, _ look) (finding, error) {
	if err := m.settings.validate(m.name(), "WindowSize", "DecayLimit"); err != nil {
		return finding{}, err
	}
	start, stop, err := m.load(rec)
	if err != nil {
		return finding{}, err
	}
	at, rss := series(rec)
	within := float64(m.within)
	r, err := stats.JudgeReturn(at, rss, start, stop, within, m.settings.settle(), m.settings.decayLimit)
	var short *stats.NotEnoughDataError
	switch {
	case errors.As(err, &short):
		return finding{}, &inconclusiveError{matcher: m.name(), err: err, advice: "start recording before the load starts"}
	case err != nil:
		return finding{}, fmt.Errorf("judge %s: %w", m.name(), err)
	}
	f := finding{
		expectation: m.bound().Expectation,
		evidence:    r.Evidence(),
		chart:       chart(at, rss, stop, "load stops", slices.Min(rss), max(slices.Max(rss), r.Baseline+within)),
	}
	f.passed = f.evidence == stats.Within
	f.details = returnDetails(r)
	switch {
	case f.passed:
		f.outcome = "it did"
	case f.evidence == stats.Beyond:
		f.outcome = "it stayed up"
	case rec.Aborted == "":
		// A run that goes on may yet come down; an aborted one is told as
		// it stands.
		return f, &inconclusiveError{matcher: m.name(),
			err: &stats.NotEnoughDataError{
				Need: fmt.Sprintf("%s recorded after the load stopped at %s, to wait out allocator decay", seconds(r.DecayLimit), seconds(stop)),
				Got:  seconds(r.After),
			},
			advice: "record for longer after the load stops"}
	}
	return f, nil
}

// load returns when the load started and stopped, from the first
// LoadStart and the last LoadStop of rec.
func (m *returnToBaseline) load(rec recording.Recording) (start, stop time.Duration, err error) {
	var started, stopped bool
	for _, e := range rec.Events {
		switch {
		case e.Name == recording.LoadStart && !started:
			start, started = e.At, true
		case e.Name == recording.LoadStop:
			stop, stopped = e.At, true
		}
	}
	missing := ""
	switch {
	case !started:
		missing = recording.LoadStart
	case !stopped:
		missing = recording.LoadStop
	case stop < start:
		return 0, 0, fmt.Errorf("%s found the load stopping at %s before it started at %s", m.name(), seconds(stop), seconds(start))
	default:
		return start, stop, nil
	}
	return 0, 0, &inconclusiveError{matcher: m.name(),
		err: fmt.Errorf("the recording has no %q event", missing),
		advice: fmt.Sprintf("note %q when the load starts and %q when it is over, with Recorder.Event(recording.LoadStart, \"\") and recording.LoadStop",
			recording.LoadStart, recording.LoadStop)}
}

// returnDetails tells the baseline, the load's peak and where memory
// settled.
func returnDetails(r stats.Return) string {
	before := fmt.Sprintf("before the load started at %s its level was %s (the median of %s); under load it peaked at %s at %s (%s)",
		seconds(r.LoadStart), mb(r.Baseline), count(r.BaselineSamples, "sample"), mb(r.Peak), seconds(r.PeakAt), signedMB(r.Peak-r.Baseline))
	if r.Returned {
		return fmt.Sprintf("%s, and %s after the load stopped at %s its level over %s was %s (%s)",
			before, seconds(r.ReturnedAt-r.LoadStop), seconds(r.LoadStop), seconds(r.Settle), mb(r.Level), signedMB(r.Level-r.Baseline))
	}
	return fmt.Sprintf("%s, and in the %s after the load stopped at %s its level over %s came down to %s at the lowest (%s)",
		before, seconds(min(r.After, r.DecayLimit)), seconds(r.LoadStop), seconds(r.Settle), mb(r.Level), signedMB(r.Level-r.Baseline))
}
