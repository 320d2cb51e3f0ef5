package stats

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Summary is the first version's description of a memory series: six
// windows or so after a warm-up, the highest later peak against the first,
// and the Theil–Sen slope of the peaks without bounds.
//
// Deprecated: the matchers judge with Cut and JudgePlateau (twelve windows,
// medians of a quarter of them, bounded slopes). Summary is kept, unchanged
// in its numbers, for the reports' figures, which are still read the first
// version's way; port them to Cut and JudgePlateau and delete it.
type Summary struct {
	Samples        int
	Duration       time.Duration
	Baseline       float64
	Peak           float64
	PeakAt         time.Duration
	WarmUp         time.Duration
	JudgedSamples  int
	Judged         time.Duration
	Windows        []Window
	Peaks          int
	EarlyPeak      float64
	Rise           float64
	SlopePerMinute float64
	Trend          float64
}

// Growth returns how far the peak stands above the baseline.
func (s Summary) Growth() float64 { return s.Peak - s.Baseline }

// Summarize describes the series v sampled at the times at, the first
// version's way: the samples before warmUp are left out and the rest cut
// into the given number of windows (at least 3); the peaks of the windows
// holding at least 2 samples form the envelope whose rise above the first
// peak and Theil–Sen slope it reports. With fewer than 3 such windows it
// returns an *InsufficientDataError along with the whole-series fields.
//
// Deprecated: see Summary.
func Summarize(at []time.Duration, v []float64, warmUp time.Duration, windows int) (Summary, error) {
	const minPeaks, minSamples = 3, 2
	switch {
	case len(at) != len(v):
		return Summary{}, fmt.Errorf("summarize series: %d times but %d values", len(at), len(v))
	case len(at) == 0:
		return Summary{}, errors.New("summarize series: no samples")
	case windows < minPeaks:
		return Summary{}, fmt.Errorf("summarize series: %d windows, fewer than the %d a trend needs", windows, minPeaks)
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
		if w.Samples >= minSamples {
			mids = append(mids, w.Mid().Minutes())
			peaks = append(peaks, w.Max)
		}
	}
	s.Peaks = len(peaks)
	if len(peaks) < minPeaks {
		return s, &InsufficientDataError{WarmUp: warmUp, Windows: windows, Samples: s.JudgedSamples, Span: s.Judged,
			Points: s.Peaks, Recorded: s.Samples, Duration: s.Duration}
	}
	s.EarlyPeak = peaks[0]
	s.Rise = slices.Max(peaks[1:]) - peaks[0]
	s.SlopePerMinute, _ = TheilSen(mids, peaks)
	s.Trend = s.SlopePerMinute * s.Judged.Minutes()
	return s, nil
}
