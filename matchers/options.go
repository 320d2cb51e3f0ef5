package matchers

import (
	"fmt"
	"time"

	"github.com/leakspec/leakspec/matchers/stats"
)

// The defaults of PlateauWithin, kept together so that the options, the
// judgement and the documentation cannot disagree.
const (
	// defaultWindows cuts the judged time into six windows: enough peaks for
	// a robust slope, few enough that each window spans several teeth of a
	// sawtooth even in a ten-second spec sampled every 100 ms.
	defaultWindows = 6
	// defaultWarmUpShare and minWarmUp make the warm-up a fifth of the run,
	// but never less than a second, the time a Python worker takes to import
	// its code.
	defaultWarmUpShare = 0.2
	minWarmUp          = time.Second
)

// Option tunes how PlateauWithin judges a recording. Options are made by
// WarmUp and Windows; an option left out keeps its default.
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
		s.warmUp = d
		s.warmUpSet = true
	})
}

// Windows sets into how many equal windows of time the judged part of a run
// is cut, 6 by default. More windows follow the peaks more closely but each
// holds fewer samples; there must be at least 3.
func Windows(n int) Option {
	return optionFunc(func(s *settings) { s.windows = n })
}

// settings is what the options of one matcher add up to.
type settings struct {
	warmUp    time.Duration
	warmUpSet bool
	windows   int
}

func newSettings(opts []Option) settings {
	s := settings{windows: defaultWindows}
	for _, opt := range opts {
		opt.apply(&s)
	}
	return s
}

// validate says what is wrong with the options, in words for the spec's
// author, since a matcher cannot refuse them when it is made.
func (s settings) validate(matcher string) error {
	if s.warmUp < 0 {
		return fmt.Errorf("%s cannot leave out a negative warm-up, but WarmUp(%v) was given", matcher, s.warmUp)
	}
	if s.windows < stats.MinWindows {
		return fmt.Errorf("%s needs at least %d windows to see a trend, but Windows(%d) was given", matcher, stats.MinWindows, s.windows)
	}
	return nil
}

// warmUpFor returns the warm-up for a run whose last sample came at last.
func (s settings) warmUpFor(last time.Duration) time.Duration {
	if s.warmUpSet {
		return s.warmUp
	}
	return max(time.Duration(float64(last)*defaultWarmUpShare), minWarmUp)
}
