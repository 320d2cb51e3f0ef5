package stats

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
)

// MinWindows is the fewest windows with enough samples that Summarize reads
// a trend from. Two peaks always lie on a line, whatever the memory did;
// a third is the first that can disagree with it.
const MinWindows = 3

// MinWindowSamples is the fewest samples a window needs for its maximum to
// count as a peak. A single sample may sit anywhere on a tooth of the
// sawtooth; two already bracket some of it.
const MinWindowSamples = 2

// Summary describes a memory series in the numbers a verdict is made from and
// a failure message reports.
type Summary struct {
	// Samples is how many samples the whole series holds and Duration the
	// time of the last one.
	Samples  int
	Duration time.Duration
	// Baseline is the floor of the warm-up: the least memory the worker held
	// before the scenario's load could build up. See Summarize for why it
	// is a minimum.
	Baseline float64
	// Peak is the highest sample of the whole series and PeakAt its time.
	Peak   float64
	PeakAt time.Duration

	// WarmUp is the start of the series left out of the judgement. The
	// fields below describe only what follows it.
	WarmUp time.Duration
	// JudgedSamples is how many samples came after the warm-up and Judged
	// the time from the first of them to the last.
	JudgedSamples int
	Judged        time.Duration
	// Windows cut the judged samples into equal spans of time. Only those
	// with at least MinWindowSamples samples form the peak envelope; Peaks
	// counts them.
	Windows []Window
	Peaks   int
	// EarlyPeak is the first peak of the envelope and Rise how far the
	// highest later peak stands above it; Rise is negative when every later
	// peak is lower.
	EarlyPeak float64
	Rise      float64
	// SlopePerMinute is the Theil–Sen slope of the peak envelope in bytes
	// per minute, and Trend that slope carried over the Judged time: the
	// growth the peaks' steady climb accounts for.
	SlopePerMinute float64
	Trend          float64
}

// Growth returns how far the peak stands above the baseline.
func (s Summary) Growth() float64 { return s.Peak - s.Baseline }

// PlateausWithin reports whether the peaks after the warm-up stayed within
// budget bytes: neither the highest later peak rose more than budget above
// the first one, nor does their trend add more than budget over the time
// judged. The first test catches a step up; the second a climb that noise
// has not yet lifted far above the first peak. Both compare with the budget
// rather than with zero, because a healthy worker's peaks wobble too.
func (s Summary) PlateausWithin(budget float64) bool {
	return s.Rise <= budget && s.Trend <= budget
}

// InsufficientDataError is returned by Summarize when too few samples follow
// the warm-up to tell a plateau from a climb.
type InsufficientDataError struct {
	// WarmUp and Windows are what the series was to be judged with.
	WarmUp  time.Duration
	Windows int
	// Samples and Span are how many samples followed the warm-up and how
	// long they lasted; Peaks is how many windows held enough of them.
	Samples int
	Span    time.Duration
	Peaks   int
	// Recorded and Duration describe the whole series, warm-up included,
	// so the message tells a run that was too short from a warm-up that
	// was too long.
	Recorded int
	Duration time.Duration
}

func (e *InsufficientDataError) Error() string {
	return fmt.Sprintf("not enough data (need at least %d samples in each of %d of the %d windows after the %.1f s warm-up; got %s over %.1f s after it, of %s recorded over %.1f s, and %s held %d or more)",
		MinWindowSamples, MinWindows, e.Windows, e.WarmUp.Seconds(), count(e.Samples, "sample"), e.Span.Seconds(),
		strconv.Itoa(e.Recorded), e.Duration.Seconds(), count(e.Peaks, "window"), MinWindowSamples)
}

// count prints n things, as "1 sample" or "3 samples".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// Summarize describes the series v sampled at the times at, in time order.
// The samples before warmUp are left out of the judgement and the rest is
// cut into the given number of windows (at least MinWindows); the peaks of
// the windows that hold at least MinWindowSamples samples form the envelope
// whose rise and Theil–Sen slope the Summary reports.
//
// The baseline is the lowest sample of the warm-up (or, without a warm-up,
// of the first window). A minimum, not a median, because memory is a
// sawtooth whose troughs are what the worker keeps and its teeth what it
// only borrows: the trough is what people mean by "it went back to its
// baseline". It is taken from the warm-up because a fast leak leaves no
// quiet stretch after it: a worker that leaks 128 MB per retry is past a
// gigabyte before a two-second warm-up ends. The baseline is reported, never
// judged, so a stray low sample cannot change a verdict.
//
// When fewer than MinWindows windows hold enough samples, Summarize returns
// an *InsufficientDataError together with a Summary whose whole-series
// fields (Samples, Duration, Baseline, Peak, PeakAt) and counts are set, so
// that a caller can still say what it saw. Other errors mean the arguments
// were wrong.
func Summarize(at []time.Duration, v []float64, warmUp time.Duration, windows int) (Summary, error) {
	switch {
	case len(at) != len(v):
		return Summary{}, fmt.Errorf("summarize series: %d times but %d values", len(at), len(v))
	case len(at) == 0:
		return Summary{}, errors.New("summarize series: no samples")
	case windows < MinWindows:
		return Summary{}, fmt.Errorf("summarize series: %d windows, fewer than the %d a trend needs", windows, MinWindows)
	}
	s := Summary{Samples: len(v), Duration: at[len(at)-1], WarmUp: warmUp}
	s.PeakAt, s.Peak = Peak(at, v)

	first := sort.Search(len(at), func(i int) bool { return at[i] >= warmUp })
	judgedAt, judgedV := at[first:], v[first:]
	s.Windows = Windows(judgedAt, judgedV, windows)
	s.JudgedSamples = len(judgedAt)
	if len(judgedAt) > 0 {
		s.Judged = judgedAt[len(judgedAt)-1] - judgedAt[0]
	}
	if first > 0 {
		s.Baseline = slices.Min(v[:first])
	} else {
		s.Baseline = s.Windows[0].Min
	}

	var mids, peaks []float64
	for _, w := range s.Windows {
		if w.Samples >= MinWindowSamples {
			mids = append(mids, w.Mid().Minutes())
			peaks = append(peaks, w.Max)
		}
	}
	s.Peaks = len(peaks)
	if len(peaks) < MinWindows {
		return s, &InsufficientDataError{WarmUp: warmUp, Windows: windows, Samples: s.JudgedSamples, Span: s.Judged, Peaks: s.Peaks,
			Recorded: s.Samples, Duration: s.Duration}
	}
	s.EarlyPeak = peaks[0]
	s.Rise = slices.Max(peaks[1:]) - peaks[0]
	s.SlopePerMinute, _ = TheilSen(mids, peaks)
	s.Trend = s.SlopePerMinute * s.Judged.Minutes()
	return s, nil
}
