package matchers

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// look is how a recording is judged: at the end of a run of fixed length,
// or at one of the looks of an early verdict (see Decide).
type look struct {
	// confidence replaces the matcher's own when it is not zero.
	confidence float64
	// horizon is the planned length of the run, which sets the default
	// warm-up and which a plateau must be shown to hold to; zero for a
	// run of fixed length, which is its recording.
	horizon time.Duration
}

func (l look) confidenceOr(own float64) float64 {
	if l.confidence != 0 {
		return l.confidence
	}
	return own
}

// judge is what one matcher knows: how to judge a recording and put the
// verdict into words. matcher turns it into a Gomega matcher.
type judge interface {
	// name is the matcher's name, as a spec writes it.
	name() string
	// judge judges a valid recording (see recordingOf). It need not word
	// the outcome of an aborted run, which find overrides; it reads
	// rec.Aborted only where an aborted run is told rather than refused
	// as too short.
	judge(rec recording.Recording, l look) (finding, error)
	// bound is what the matcher holds a recording to.
	bound() Bound
}

// matcher adapts a judge to Gomega's matcher interface.
type matcher struct {
	judge judge
}

// Match reports whether the recording passes, or an error when actual
// cannot be judged.
func (m *matcher) Match(actual any) (bool, error) {
	f, err := m.find(actual, look{})
	return f.passed, err
}

// FailureMessage tells why a recording did not pass.
func (m *matcher) FailureMessage(actual any) string {
	return m.message(actual, false)
}

// NegatedFailureMessage tells how a recording passed when it was not
// expected to.
func (m *matcher) NegatedFailureMessage(actual any) string {
	return m.message(actual, true)
}

func (m *matcher) message(actual any, negated bool) string {
	f, err := m.find(actual, look{})
	if err != nil {
		return err.Error()
	}
	return f.message(negated)
}

// find judges actual and words the verdict. Messages judge again rather than
// keep state from Match, so a matcher can be shared between assertions.
func (m *matcher) find(actual any, l look) (finding, error) {
	rec, err := recordingOf(m.judge.name(), actual)
	if err != nil {
		return finding{}, err
	}
	f, err := m.judge.judge(rec, l)
	if err == nil && rec.Aborted != "" {
		// An aborted run never passes, whatever its series shows: the
		// series stops where the interesting part began.
		f.passed, f.evidence, f.outcome = false, stats.Beyond, abortedOutcome(rec.Aborted)
	}
	if err == nil && l.confidence != 0 && f.evidence == stats.Within && rec.Measure == recording.HeapLive &&
		freshReadings(rec, f.judgedFrom) < stats.MinPoints {
		// A Go worker's live heap is measured only when a collection
		// ends, and stands still in between however the heap grows: a
		// judged span with few collections is a few readings, however many
		// windows it is cut into, too few to promise a plateau early. A
		// worker leaking slowly between rare collections read as a level
		// line, certain at 99.9 %.
		f.evidence = stats.Unsure
	}
	return f, err
}

// freshReadings returns how many readings of a Go worker's live heap the
// samples from judgedFrom on carry: the one standing at judgedFrom and one
// more for each collection completed since.
func freshReadings(rec recording.Recording, judgedFrom time.Duration) int {
	first := -1
	var last uint64
	for _, s := range rec.Samples {
		if s.At < judgedFrom || !s.GoRuntime {
			continue
		}
		if first < 0 {
			first = int(s.GCCycles)
		}
		last = s.GCCycles
	}
	if first < 0 {
		return 0
	}
	return int(last) - first + 1
}

// windowOptions are the options of the matchers that judge the windows after
// a warm-up.
var windowOptions = []string{"WarmUp", "Windows", "WindowSize", "Confidence"}

// openWindows begins the judgement of a matcher that reads the windows after
// the warm-up: it cuts rec (see cut) and begins j's finding with its
// expectation and a chart at least room tall above the lowest sample, so
// that noise well within a budget looks as small as it is. judged is false
// when an aborted run left too few windows to judge: the finding then tells
// the run's figures and that they were too few to judge its subject.
func openWindows(j judge, s settings, rec recording.Recording, l look, room float64, subject string) (env stats.Envelope, f finding, judged bool, err error) {
	env, judged, err = cut(j.name(), rec, s, l)
	if err != nil {
		return env, finding{}, false, err
	}
	at, rss := series(rec)
	floor := slices.Min(rss)
	f = finding{
		expectation: j.bound().Expectation,
		chart:       chart(at, rss, env.WarmUp, "warm-up ends", floor, max(env.Peak, floor+room)),
		judgedFrom:  env.WarmUp,
	}
	if !judged {
		f.details = fmt.Sprintf("%s, too few after the %s warm-up to judge its %s", runFigures(env), seconds(env.WarmUp), subject)
	}
	return env, f, judged, nil
}

// cut leaves out the warm-up of rec's series and cuts the rest into the
// windows the settings ask for. When the data is too short it returns an
// inconclusive error, unless the run was aborted: then what the series
// shows is still worth telling, and conclusive is false.
func cut(name string, rec recording.Recording, s settings, l look) (env stats.Envelope, conclusive bool, err error) {
	at, rss := series(rec)
	last := at[len(at)-1]
	warmUp := s.warmUpFor(max(last, l.horizon))
	span, tooth, samples := stats.AfterWarmUp(at, rss, warmUp)
	windows := s.windowsFor(span, tooth, samples)
	var short error
	if windows < stats.MinPoints {
		// Too short for even the fewest windows of the size asked for:
		// cut it into the fewest, to tell its figures, and say why.
		short = fmt.Errorf("not enough data (need at least %d windows of %s after the %s warm-up; got %s after it, of %s recorded)",
			stats.MinPoints, seconds(s.windowSize), seconds(warmUp), seconds(max(last-warmUp, 0)), seconds(last))
		windows = stats.MinPoints
	}
	env, err = stats.Cut(at, rss, warmUp, windows)
	var insufficient *stats.InsufficientDataError
	switch {
	case errors.As(err, &insufficient):
		short = err
	case err != nil:
		return env, false, fmt.Errorf("judge %s: %w", name, err)
	}
	switch {
	case short == nil:
		return env, true, nil
	case rec.Aborted != "":
		return env, false, nil
	default:
		return env, false, inconclusive(name, short)
	}
}

// inconclusive words the error of a recording too short to judge.
func inconclusive(name string, short error) error {
	return &inconclusiveError{matcher: name, err: short, advice: "record for longer or sample more often"}
}

// inconclusiveError is a recording too short, or missing what a matcher
// reads, to be judged. It fails an assertion like any error; Decide reads it
// as "not yet" at an interim look.
type inconclusiveError struct {
	matcher string
	err     error
	advice  string
}

func (e *inconclusiveError) Error() string {
	return fmt.Sprintf("%s is inconclusive: %v; %s", e.matcher, e.err, e.advice)
}

func (e *inconclusiveError) Unwrap() error { return e.err }

// runFigures tells the figures of the whole run that every verdict on an
// envelope starts with.
func runFigures(e stats.Envelope) string {
	return fmt.Sprintf("from a baseline of %s it peaked at %s (%s) over %s (%s)",
		mb(e.Baseline), mb(e.Peak), signedMB(e.Growth()), seconds(e.Duration), count(e.Samples, "sample"))
}

// windowsFigures tells how the judged time was cut: "12 windows of 0.7 s",
// or "10 of 12 windows of 0.7 s" when some held too few samples to count.
func windowsFigures(e stats.Envelope) string {
	n := count(e.Points, "window")
	if e.Points < len(e.Windows) {
		n = fmt.Sprintf("%d of %d windows", e.Points, len(e.Windows))
	}
	return fmt.Sprintf("%s of %s", n, seconds(e.Width()))
}

// bounds prints a trend's bounds in megabytes per unit, as
// "95 %: 3.1 to 9.0 MB/min", and says when they were widened for the
// windows' autocorrelation; an infinite bound reads "unbounded".
func bounds(t stats.Trend, confidence float64, unit string) string {
	return boundsIn(t, confidence, func(v float64) string { return megabytes(v) + " " + unit })
}

// boundsIn is bounds with the numbers printed by format.
func boundsIn(t stats.Trend, confidence float64, format func(float64) string) string {
	side := func(v float64) string {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return "unbounded"
		}
		return format(v)
	}
	widened := ""
	if t.Autocorrelation > 0 {
		widened = fmt.Sprintf(", widened for the windows' autocorrelation of %.2f", t.Autocorrelation)
	}
	lower, upper := side(t.Lower), side(t.Upper)
	// One unit for both bounds reads better: "3.1 to 9.0 MB/min".
	if l, lu, ok := strings.Cut(lower, " "); ok {
		if _, uu, _ := strings.Cut(upper, " "); uu == lu {
			lower = l
		}
	}
	return fmt.Sprintf("%s%s: %s to %s", percent(confidence), widened, lower, upper)
}
