package stats

import (
	"sort"
	"time"
)

// The defaults a series is read with, by the matchers when a spec sets no
// option and by the reports always. They live here, beside the statistics,
// so that a matcher's failure message and a report's figures are the same
// numbers of the same series: there is one warm-up and one way to cut a
// series into windows, not a copy of each. The matchers re-export them.
const (
	// DefaultWindows cuts the judged time into twelve windows: 66 pairs of
	// windows give Sen's bound on a slope room to stay finite when the
	// windows' autocorrelation halves their worth, and the lag-1
	// autocorrelation has a dozen residuals to be estimated from; yet in a
	// ten-second spec sampled every 100 ms each window still holds six or
	// seven samples, and in a one-minute spec spans four seconds, several
	// teeth of a typical job's sawtooth.
	DefaultWindows = 12
	// DefaultWarmUpShare and MinWarmUp make the warm-up a fifth of the run,
	// but never less than a second, the time a Python worker takes to import
	// its code: imports, connection pools and the first caches fill up at
	// start and are not a leak.
	DefaultWarmUpShare = 0.2
	MinWarmUp          = time.Second
	// DefaultConfidence is the one-sided confidence of every bound: a
	// matcher that fails on evidence of a leak fails a series that keeps
	// exactly to its budget at most 5 % of the time, and one far within it
	// practically never.
	DefaultConfidence = 0.95
)

// DefaultWarmUp returns the warm-up of a run of the given length: a fifth of
// it, at least MinWarmUp. For a run that may stop early the length is its
// planned maximum, so that every look judges the same stretch of time as the
// last, only less of it.
func DefaultWarmUp(run time.Duration) time.Duration {
	return max(time.Duration(float64(run)*DefaultWarmUpShare), MinWarmUp)
}

// MinRecording returns the shortest run of fixed length that the defaults
// judge whatever the sampler's jitter, when it is sampled every interval:
// after its warm-up (DefaultWarmUp of the run itself), enough samples for
// DefaultWindows windows of MinWindowSamples each, and two to spare. Fewer
// would do on paper, MinPoints windows, but FitWindows cuts a short span
// into windows of barely MinWindowSamples, and a sample that comes late
// then leaves a window one short: of 7 windows 6 must count, of 12 only
// half, which no jitter undoes. It is 4.8 s at the default 100 ms.
func MinRecording(interval time.Duration) time.Duration {
	after := time.Duration(DefaultWindows*MinWindowSamples+2) * interval
	run := MinWarmUp + after
	if DefaultWarmUp(run) > MinWarmUp {
		// The warm-up is a fifth of such a run: the rest must hold after.
		run = time.Duration(float64(after) / (1 - DefaultWarmUpShare))
	}
	return run
}

// AfterWarmUp returns the time the series (at, v) spans after warmUp, which
// is what gets cut into windows, the period of the sawtooth in that part
// (see Teeth), zero when it has no teeth, and how many samples it holds.
// The series must not be empty.
func AfterWarmUp(at []time.Duration, v []float64, warmUp time.Duration) (span, tooth time.Duration, samples int) {
	last := at[len(at)-1]
	first := sort.Search(len(at), func(i int) bool { return at[i] >= warmUp })
	tooth, _ = Teeth(at[first:], v[first:])
	return last - min(max(warmUp, at[0]), last), tooth, len(at) - first
}

// FitWindows returns into how many windows to cut a span of the given
// samples: n, or fewer when the series is a sawtooth whose teeth are so
// long that a window would be shorter than two of them, or when the samples
// are too few to give each of n windows MinWindowSamples, but never fewer
// than MinPoints. A window shorter than a tooth misses its top or bottom,
// which makes its extremes noise; a window with too few samples does not
// count at all, so a short run, or an early look at a long one, is better
// judged on fewer, fuller windows than found inconclusive.
func FitWindows(n int, span, tooth time.Duration, samples int) int {
	n = min(n, samples/MinWindowSamples)
	if tooth > 0 {
		n = min(n, int(span/(2*tooth)))
	}
	return max(MinPoints, n)
}

// CutByDefault cuts the series (at, v) as every matcher does when a spec
// sets no option: it leaves out DefaultWarmUp of the run and cuts the rest
// into DefaultWindows windows, fewer for a sawtooth of long teeth
// (FitWindows). planned is the longest the run was planned to last, when it
// could stop early (the matchers' Plan.Max), and zero for a run of fixed
// length, which is its series. It returns what Cut returns.
func CutByDefault(at []time.Duration, v []float64, planned time.Duration) (Envelope, error) {
	if len(at) == 0 || len(at) != len(v) {
		return Cut(at, v, 0, DefaultWindows)
	}
	warmUp := DefaultWarmUp(max(at[len(at)-1], planned))
	span, tooth, samples := AfterWarmUp(at, v, warmUp)
	return Cut(at, v, warmUp, FitWindows(DefaultWindows, span, tooth, samples))
}
