// Package stats holds the statistics that leakspec's matchers judge a memory
// series with, as pure functions on plain slices.
//
// A memory series is a sawtooth, not a line. Runtimes return memory lazily
// (Python's cyclic collector, glibc arenas, jemalloc decay, Go's scavenger),
// so resident memory climbs while a job allocates and drops, sometimes much
// later, when the runtime gets round to it. Two single samples therefore say
// little: one taken at a peak and one at a trough can show any growth at all.
// The functions here look at the series the way a person would:
//
//   - Cut leaves out a warm-up and cuts the rest into equal windows of time,
//     keeping each window's lowest and highest value. The highest values
//     form the peak envelope: if a worker leaks, its peaks ratchet up from
//     window to window; if it does not, they stay level however deep its
//     sawtooth is. The lowest form the floor, what the runtime kept.
//   - Sen fits a line through points as the median of the slopes between
//     every pair of them (Theil–Sen), so a lone spike or a window that
//     happened to miss a peak cannot tilt it, and bounds its slope with a
//     confidence that allows for neighbouring windows being correlated.
//   - JudgePlateau, JudgeGrowth, JudgeSlope, JudgePerEvent and JudgeReturn
//     put these together into the judgements the matchers make, and say
//     what their Evidence is: Within a bound, Beyond it, or Unsure.
//   - Teeth finds the period of a sawtooth, which windows must not be
//     shorter than.
//   - DefaultWarmUp, FitWindows and CutByDefault are how a series is read
//     when a spec sets no option, by the matchers and by the reports alike.
//
// # Early verdicts
//
// A spec may record until its verdict is certain instead of for a fixed
// time. Looking at the data again and again and stopping at the first look
// that seems to fail would raise the false-alarm rate with every look, so
// the looks are few and fixed in advance (LookTimes), and the error budget
// is split between them the way clinical trials do it (Haybittle, 1971;
// Peto et al., 1976): at each look but the last the run stops only on
// evidence at InterimConfidence (99.9 %), and the last look gives the
// matchers' own verdict at their own confidence, exactly as on a run of
// fixed length. By the union bound the false-alarm rate is at most the
// last look's plus 0.1 % per interim look (FalseAlarmBound). Each interim
// look judges the data recorded up to its time and nothing after, so how
// often a caller polls changes nothing.
//
// Sizes are float64 counts of bytes and times are offsets from the start of
// a run; series must be in time order. Nothing here knows about Gomega or
// about recordings, so the numbers can be tested on synthetic series and
// reused by reports.
package stats

import (
	"math"
	"slices"
	"time"
)

// Median returns the middle value of v, or the mean of the two middle values
// when v has an even length. It returns NaN for an empty v. v is not modified.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return sorted[mid-1]/2 + sorted[mid]/2
}

// TheilSen fits the line y = slope*x + intercept through the points (x[i],
// y[i]) with the Theil–Sen estimator: the slope is the median of the slopes
// between every pair of points with distinct x, and the intercept the median
// of y[i] - slope*x[i]. Up to about 29 % of the points can be arbitrarily
// wrong before the slope follows them, which is why a single GC-delayed
// spike does not make a flat series look like a leak.
//
// Pairs with equal x carry no slope and are skipped; if no pair is left, both
// results are NaN. x and y must have the same length; TheilSen panics
// otherwise, as a mismatch is a bug in the caller.
func TheilSen(x, y []float64) (slope, intercept float64) {
	if len(x) != len(y) {
		panic("stats.TheilSen: x and y differ in length")
	}
	slopes := make([]float64, 0, len(x)*(len(x)-1)/2)
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			if x[j] != x[i] {
				slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
			}
		}
	}
	if len(slopes) == 0 {
		return math.NaN(), math.NaN()
	}
	slope = Median(slopes)
	residuals := make([]float64, len(x))
	for i := range x {
		residuals[i] = y[i] - slope*x[i]
	}
	return slope, Median(residuals)
}

// Peak returns the highest value of v and the time it was first reached.
// It returns 0 and NaN for an empty series.
func Peak(at []time.Duration, v []float64) (time.Duration, float64) {
	if len(v) == 0 {
		return 0, math.NaN()
	}
	i := 0
	for j := range v {
		if v[j] > v[i] {
			i = j
		}
	}
	return at[i], v[i]
}

// AtLeast counts the values of v that are at or above limit.
func AtLeast(v []float64, limit float64) int {
	n := 0
	for _, x := range v {
		if x >= limit {
			n++
		}
	}
	return n
}
