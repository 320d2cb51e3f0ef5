package reports

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

// The conventions the figures are read with. They are PlateauWithin's
// defaults, so that the baseline, peak, growth and slope a report shows are
// the numbers the default matcher's message tells; a spec that tunes its
// matcher (WarmUp, Windows) still gets figures read the default way, which
// keeps them comparable from spec to spec and from run to run.
const (
	// figureWindows cuts the time after the warm-up into six windows.
	figureWindows = 6
	// warmUpShare and minWarmUp make the warm-up a fifth of the run, at
	// least a second.
	warmUpShare = 0.2
	minWarmUp   = time.Second
	// minWindowSamples is the fewest samples a window needs for its maximum
	// to count as a peak, and minPeaks the fewest peaks a slope is read
	// from: two points always lie on a line.
	minWindowSamples = 2
	minPeaks         = 3
	// madToSigma turns a median absolute deviation into the standard
	// deviation it estimates for normally distributed noise.
	madToSigma = 1.4826
)

// Figures are the numbers that describe one recording: what a reviewer reads
// first, what CI compares with the main branch. Sizes are bytes, times
// seconds, slopes bytes per minute; the JSON names say so.
//
// Memory is a sawtooth, so the figures follow the peak envelope, as the
// matchers do: the time after the warm-up is cut into equal windows, each
// window's highest sample is a peak, and the slope is the Theil–Sen slope of
// those peaks (the median of the slopes between every pair), which a lone
// spike cannot tilt.
type Figures struct {
	// Samples is how many samples the recording holds, Events how many
	// events, and DurationS the time of the last sample.
	Samples   int     `json:"samples"`
	Events    int     `json:"events"`
	DurationS float64 `json:"duration_s"`
	// WarmUpS is the start left out of the peak envelope, a fifth of the run
	// and at least a second.
	WarmUpS float64 `json:"warm_up_s"`
	// Baseline is the lowest tree RSS of the warm-up (of the first window
	// without one): the memory the worker holds before load builds up.
	Baseline uint64 `json:"baseline_bytes"`
	// Peak is the highest tree RSS of the whole run, PeakAtS its time, and
	// Growth how far it stands above Baseline.
	Peak    uint64  `json:"peak_bytes"`
	PeakAtS float64 `json:"peak_at_s"`
	Growth  uint64  `json:"growth_bytes"`
	// Peaks is how many windows after the warm-up held enough samples to
	// count, and EarlyPeak the first of their peaks: the level a plateau
	// budget is measured from.
	Peaks     int    `json:"peaks"`
	EarlyPeak uint64 `json:"early_peak_bytes,omitempty"`
	// JudgedS is the time from the first sample after the warm-up to the
	// last one.
	JudgedS float64 `json:"judged_s"`
	// Slope is the Theil–Sen slope of the peaks, in bytes per minute; nil
	// when fewer than three windows counted.
	Slope *float64 `json:"slope_bytes_per_min,omitempty"`
	// PeakNoise is how far the peaks scatter around their trend line (a
	// robust standard deviation, from their median absolute deviation), and
	// SlopeNoise the standard error of the slope it implies. They are this
	// run's own measure of its noise; a baseline comparison allows for them.
	PeakNoise  float64 `json:"peak_noise_bytes"`
	SlopeNoise float64 `json:"slope_noise_bytes_per_min"`
	// PSSPeak and USSPeak are the highest proportional and unique set sizes
	// sampled, or 0 when they were never measured.
	PSSPeak uint64 `json:"pss_peak_bytes,omitempty"`
	USSPeak uint64 `json:"uss_peak_bytes,omitempty"`
	// Aborted is why the worker was stopped early, if it was.
	Aborted string `json:"aborted,omitempty"`
}

// FiguresOf reads the figures of a recording. It is a pure function of the
// recording's samples and events; a recording without samples has zero
// figures.
func FiguresOf(rec recording.Recording) Figures {
	f := Figures{Samples: len(rec.Samples), Events: len(rec.Events), Aborted: rec.Aborted}
	if len(rec.Samples) == 0 {
		return f
	}
	at := make([]time.Duration, len(rec.Samples))
	rss := make([]float64, len(rec.Samples))
	for i, s := range rec.Samples {
		at[i], rss[i] = s.At, float64(s.RSS)
		if s.RSS > f.Peak {
			f.Peak, f.PeakAtS = s.RSS, s.At.Seconds()
		}
		if s.Detailed {
			f.PSSPeak, f.USSPeak = max(f.PSSPeak, s.PSS), max(f.USSPeak, s.USS)
		}
	}
	last := at[len(at)-1]
	warmUp := WarmUpFor(last)
	f.DurationS, f.WarmUpS = last.Seconds(), warmUp.Seconds()

	first := sort.Search(len(at), func(i int) bool { return at[i] >= warmUp })
	windows := peakWindows(at[first:], rss[first:])
	if first > 0 {
		f.Baseline = uint64(slices.Min(rss[:first]))
	} else {
		f.Baseline = uint64(windows[0].min)
	}
	f.Growth = f.Peak - f.Baseline
	if first < len(at) {
		f.JudgedS = (last - at[first]).Seconds()
	}

	var mids, peaks []float64
	for _, w := range windows {
		if w.samples >= minWindowSamples {
			mids, peaks = append(mids, w.mid.Minutes()), append(peaks, w.max)
		}
	}
	f.Peaks = len(peaks)
	if len(peaks) > 0 {
		f.EarlyPeak = uint64(peaks[0])
	}
	if len(peaks) >= minPeaks {
		slope, intercept := theilSen(mids, peaks)
		f.Slope = &slope
		f.PeakNoise, f.SlopeNoise = noise(mids, peaks, slope, intercept)
	}
	return f
}

// WarmUpFor returns the warm-up of a run whose last sample came at last: a
// fifth of it, at least a second, as PlateauWithin leaves out by default.
func WarmUpFor(last time.Duration) time.Duration {
	return max(time.Duration(float64(last)*warmUpShare), minWarmUp)
}

// window is one equal span of time after the warm-up.
type window struct {
	mid      time.Duration
	samples  int
	min, max float64
}

// peakWindows cuts the series into figureWindows windows of equal time; it
// returns one window holding nothing when the series is empty.
func peakWindows(at []time.Duration, v []float64) []window {
	if len(at) == 0 {
		return []window{{}}
	}
	start, span := at[0], at[len(at)-1]-at[0]
	windows := make([]window, figureWindows)
	for i := range windows {
		windows[i].mid = start + time.Duration(float64(span)*(float64(i)+0.5)/figureWindows)
	}
	for k, t := range at {
		i := 0
		if span > 0 {
			i = min(figureWindows-1, int(float64(t-start)*figureWindows/float64(span)))
		}
		w := &windows[i]
		if w.samples == 0 || v[k] < w.min {
			w.min = v[k]
		}
		if w.samples == 0 || v[k] > w.max {
			w.max = v[k]
		}
		w.samples++
	}
	return windows
}

// theilSen fits y = slope*x + intercept as the median of the pairwise slopes
// and the median of the residuals' offsets. x holds distinct times.
func theilSen(x, y []float64) (slope, intercept float64) {
	var slopes []float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			if x[j] != x[i] {
				slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
			}
		}
	}
	if len(slopes) == 0 {
		return 0, median(y)
	}
	slope = median(slopes)
	offsets := make([]float64, len(x))
	for i := range x {
		offsets[i] = y[i] - slope*x[i]
	}
	return slope, median(offsets)
}

// noise returns the robust scatter of the points around the line and the
// standard error of the line's slope that this scatter implies, the usual
// sigma / sqrt(sum((x - mean x)^2)) of a fitted slope.
func noise(x, y []float64, slope, intercept float64) (scatter, slopeError float64) {
	residuals := make([]float64, len(x))
	var meanX float64
	for i := range x {
		residuals[i] = math.Abs(y[i] - (slope*x[i] + intercept))
		meanX += x[i] / float64(len(x))
	}
	scatter = madToSigma * median(residuals)
	var spread float64
	for _, xi := range x {
		spread += (xi - meanX) * (xi - meanX)
	}
	if spread == 0 {
		return scatter, 0
	}
	return scatter, scatter / math.Sqrt(spread)
}

// median returns the middle value of v (the mean of the middle two for an
// even length), or 0 for an empty v. v is not modified.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return sorted[mid-1]/2 + sorted[mid]/2
}
