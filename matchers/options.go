package matchers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leakspec/leakspec/matchers/stats"
)

// The defaults of the matchers, kept together so that the options, the
// judgement and the documentation cannot disagree. The README's "Verdicts"
// section says why each is what it is. Those that say how a series is read
// (its warm-up, its windows, the confidence of its bounds) are the
// statistics package's, which the reports read every recording with too, so
// that a report's figures are the numbers a failure message tells.
const (
	// DefaultWindows cuts the judged time into twelve windows
	// (stats.DefaultWindows).
	DefaultWindows = stats.DefaultWindows
	// DefaultWarmUpShare and MinWarmUp make the warm-up a fifth of the run,
	// but never less than a second (stats.DefaultWarmUp).
	DefaultWarmUpShare = stats.DefaultWarmUpShare
	MinWarmUp          = stats.MinWarmUp
	// DefaultConfidence is the one-sided confidence of every bound, 0.95
	// (stats.DefaultConfidence).
	DefaultConfidence = stats.DefaultConfidence
	// DefaultDecayLimit is how long ReturnToBaseline waits after the load
	// stops for memory to settle: jemalloc returns dirty pages after 10 s by
	// default, glibc and CPython's arenas as soon as they are empty, Go's
	// scavenger within seconds; a worker that has not settled by then keeps
	// the memory.
	DefaultDecayLimit = 10 * time.Second
	// DefaultSettle is the sliding window whose median is ReturnToBaseline's
	// level: ten samples at the default interval, enough that one stray
	// sample cannot fake a return.
	DefaultSettle = time.Second
)

// Option tunes how a matcher judges a recording. An option left out keeps
// its default; an option a matcher does not use is refused when it judges,
// so that a typo cannot silently change nothing.
type Option interface {
	apply(*settings)
}

// optionFunc keeps the set of options closed: only this package can make one.
type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// WarmUp sets how long the start of a run is left out of the judgement,
// replacing the default of a fifth of the run, at least one second. Set it
// when a worker is known to fill caches for longer, or to zero for a worker
// that needs none. It must not be negative.
func WarmUp(d time.Duration) Option {
	return optionFunc(func(s *settings) {
		s.warmUp, s.warmUpSet = d, true
		s.given("WarmUp")
	})
}

// Windows sets into how many equal windows of time the judged part of a run
// is cut, at least 6. By default there are DefaultWindows (12), or fewer,
// down to 6, when the series is a sawtooth with teeth so long that a window
// would be shorter than two of them. More windows follow memory more
// closely but each holds fewer samples, and a window shorter than a tooth
// misses its top or bottom. It replaces WindowSize.
func Windows(n int) Option {
	return optionFunc(func(s *settings) {
		s.windows, s.windowSize = n, 0
		s.given("Windows")
	})
}

// WindowSize sets the length of the windows instead of their number: the
// judged part of a run is cut into as many windows of d as fit, at least 6.
// It replaces Windows. For ReturnToBaseline it sets the sliding window whose
// median is memory's level, DefaultSettle (1 s) by default.
func WindowSize(d time.Duration) Option {
	return optionFunc(func(s *settings) {
		s.windowSize, s.windows = d, 0
		s.given("WindowSize")
	})
}

// Confidence sets the one-sided confidence of the bounds a verdict rests on,
// DefaultConfidence (0.95) by default, strictly between 0.5 and 1. Higher
// confidence makes the matchers that fail on evidence of a leak fail less
// often, and HaveSlopeBelow, which passes on evidence of a slope below its
// rate, pass less often.
func Confidence(c float64) Option {
	return optionFunc(func(s *settings) {
		s.confidence = c
		s.given("Confidence")
	})
}

// DecayLimit sets how long ReturnToBaseline waits, after the load stopped,
// for memory to come back: DefaultDecayLimit (10 s) by default.
func DecayLimit(d time.Duration) Option {
	return optionFunc(func(s *settings) {
		s.decayLimit = d
		s.given("DecayLimit")
	})
}

// settings is what the options of one matcher add up to.
type settings struct {
	warmUp     time.Duration
	warmUpSet  bool
	windows    int
	windowSize time.Duration
	confidence float64
	decayLimit time.Duration
	// options names the options given, in order, to refuse those a matcher
	// does not use.
	options []string
}

func (s *settings) given(option string) {
	if !slices.Contains(s.options, option) {
		s.options = append(s.options, option)
	}
}

func newSettings(opts []Option) settings {
	s := settings{windows: DefaultWindows, confidence: DefaultConfidence, decayLimit: DefaultDecayLimit}
	for _, opt := range opts {
		opt.apply(&s)
	}
	return s
}

// validate says what is wrong with the options, in words for the spec's
// author, since a matcher cannot refuse them when it is made. accepted
// names the options the matcher uses.
func (s settings) validate(matcher string, accepted ...string) error {
	for _, o := range s.options {
		if !slices.Contains(accepted, o) {
			return fmt.Errorf("%s does not use the option %s; it takes %s", matcher, o, strings.Join(accepted, ", "))
		}
	}
	switch {
	case s.warmUp < 0:
		return fmt.Errorf("%s cannot leave out a negative warm-up, but WarmUp(%v) was given", matcher, s.warmUp)
	case slices.Contains(s.options, "WindowSize") && s.windows == 0 && s.windowSize <= 0:
		return fmt.Errorf("%s needs windows longer than zero, but WindowSize(%v) was given", matcher, s.windowSize)
	case s.windowSize == 0 && s.windows < stats.MinPoints:
		return fmt.Errorf("%s needs at least %d windows to see a trend, but Windows(%d) was given", matcher, stats.MinPoints, s.windows)
	case !(s.confidence > 0.5 && s.confidence < 1):
		return fmt.Errorf("%s needs a confidence strictly between 0.5 and 1, but Confidence(%v) was given", matcher, s.confidence)
	case s.decayLimit <= 0:
		return fmt.Errorf("%s needs a decay limit longer than zero, but DecayLimit(%v) was given", matcher, s.decayLimit)
	}
	return nil
}

// warmUpFor returns the warm-up for a run of the given length: the one the
// spec set, or a fifth of the run, at least MinWarmUp. For a run that may
// stop early the length is its planned maximum, so that every look judges
// the same stretch of time as the last, only less of it.
func (s settings) warmUpFor(run time.Duration) time.Duration {
	if s.warmUpSet {
		return s.warmUp
	}
	return stats.DefaultWarmUp(run)
}

// runFor returns the shortest run that judges at least judged after the
// warm-up warmUpFor gives it.
func (s settings) runFor(judged time.Duration) time.Duration {
	if s.warmUpSet {
		return s.warmUp + judged
	}
	return max(time.Duration(float64(judged)/(1-DefaultWarmUpShare)), judged+MinWarmUp)
}

// windowsFor returns how many windows to cut a judged span of the given
// samples into: as many windows of the size asked for as fit in it, or the
// count asked for. By default, DefaultWindows fitted to the sawtooth's
// teeth and to the samples (stats.FitWindows).
func (s settings) windowsFor(span, tooth time.Duration, samples int) int {
	switch {
	case s.windowSize > 0:
		return int(span / s.windowSize)
	case slices.Contains(s.options, "Windows"):
		return s.windows
	default:
		return stats.FitWindows(s.windows, span, tooth, samples)
	}
}

// settle returns the sliding window of ReturnToBaseline.
func (s settings) settle() time.Duration {
	if s.windowSize > 0 {
		return s.windowSize
	}
	return DefaultSettle
}
