package reports

import (
	"math"
	"time"

	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// Figures are the numbers that describe one recording: what a reviewer reads
// first, what CI compares with the main branch. Sizes are bytes, times
// seconds, slopes bytes per minute; the JSON names say so.
//
// They are read with the matchers' statistics and defaults (matchers/stats:
// CutByDefault, JudgePlateau), so that the baseline, peak, growth, rise and
// slope a report shows are the numbers PlateauWithin's message tells about
// the same recording. A spec that tunes its matcher (WarmUp, Windows) still
// gets figures read the default way, which keeps them comparable from spec
// to spec and from run to run.
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
	// PlannedS is the longest the run was planned to last, when it recorded
	// until its verdict was certain (matchers.Plan.Max); 0 for a run of
	// fixed length. The warm-up is a fifth of the plan then.
	PlannedS float64 `json:"planned_s,omitempty"`
	// WarmUpS is the start left out of the peak envelope: a fifth of the
	// run (of its plan), at least a second.
	WarmUpS float64 `json:"warm_up_s"`
	// Baseline is the lowest tree RSS of the warm-up (of the first window
	// without one): the memory the worker holds before load builds up.
	Baseline uint64 `json:"baseline_bytes"`
	// Peak is the highest tree RSS of the whole run, PeakAtS its time, and
	// Growth how far it stands above Baseline.
	Peak    uint64  `json:"peak_bytes"`
	PeakAtS float64 `json:"peak_at_s"`
	Growth  uint64  `json:"growth_bytes"`
	// Windows is how many windows the time after the warm-up was cut into,
	// WindowS the length of one, and Peaks how many held enough samples
	// (stats.MinWindowSamples) for their maximum to count as a peak.
	Windows int     `json:"windows"`
	WindowS float64 `json:"window_s"`
	Peaks   int     `json:"peaks"`
	// JudgedS is the time from the first sample after the warm-up to the
	// last one.
	JudgedS float64 `json:"judged_s"`
	// EarlyLevel and LateLevel are the median peaks of the first and the
	// last quarter of the windows, Rise how far the late level stands above
	// the early one, and RiseMargin the noise in that rise at Confidence:
	// what PlateauWithin holds against its budget, which is measured from
	// EarlyLevel. They are set along with Slope.
	EarlyLevel float64 `json:"early_level_bytes,omitempty"`
	LateLevel  float64 `json:"late_level_bytes,omitempty"`
	Rise       float64 `json:"rise_bytes,omitempty"`
	RiseMargin float64 `json:"rise_margin_bytes,omitempty"`
	// Slope is the Theil–Sen slope of the peaks, in bytes per minute, and
	// SlopeLower and SlopeUpper its bounds at Confidence, each nil when the
	// peaks cannot bound it on that side. Slope is nil when fewer than
	// stats.MinPoints windows counted.
	Slope      *float64 `json:"slope_bytes_per_min,omitempty"`
	SlopeLower *float64 `json:"slope_lower_bytes_per_min,omitempty"`
	SlopeUpper *float64 `json:"slope_upper_bytes_per_min,omitempty"`
	Confidence float64  `json:"confidence,omitempty"`
	// PeakNoise is how far the peaks scatter around their local level
	// (stats.LocalNoise, the noise RiseMargin is made of), and SlopeNoise
	// the standard error of the slope that this scatter implies. They are
	// this run's own measure of its noise; a baseline comparison allows
	// for them.
	PeakNoise  float64 `json:"peak_noise_bytes"`
	SlopeNoise float64 `json:"slope_noise_bytes_per_min"`
	// PSSPeak and USSPeak are the highest proportional and unique set sizes
	// sampled, or 0 when they were never measured.
	PSSPeak uint64 `json:"pss_peak_bytes,omitempty"`
	USSPeak uint64 `json:"uss_peak_bytes,omitempty"`
	// Aborted is why the worker was stopped early, if it was.
	Aborted string `json:"aborted,omitempty"`
}

// FiguresOf reads the figures of a recording of fixed length. It is a pure
// function of the recording's samples and events; a recording without
// samples has zero figures.
func FiguresOf(rec recording.Recording) Figures {
	return PlannedFiguresOf(rec, 0)
}

// PlannedFiguresOf reads the figures of a recording that was to last at
// most planned, recorded until its verdict was certain (matchers.Plan.Max):
// its warm-up is then a fifth of the plan, as the matchers' is at every
// look. A planned length of 0 is a run of fixed length, as FiguresOf.
func PlannedFiguresOf(rec recording.Recording, planned time.Duration) Figures {
	f, _, _ := readFigures(rec, planned)
	return f
}

// samples returns the times and RSS of rec's samples, the series every
// figure and plot reads.
func samples(rec recording.Recording) (at []time.Duration, rss []float64) {
	at, rss = make([]time.Duration, len(rec.Samples)), make([]float64, len(rec.Samples))
	for i, s := range rec.Samples {
		at[i], rss[i] = s.At, float64(s.RSS)
	}
	return at, rss
}

// readFigures reads the figures of rec and returns the envelope they come
// from; ok is false when the recording has no sample to cut.
func readFigures(rec recording.Recording, planned time.Duration) (f Figures, env stats.Envelope, ok bool) {
	f = Figures{Samples: len(rec.Samples), Events: len(rec.Events), PlannedS: planned.Seconds(), Aborted: rec.Aborted}
	at, rss := samples(rec)
	for _, s := range rec.Samples {
		if s.Detailed {
			f.PSSPeak, f.USSPeak = max(f.PSSPeak, s.PSS), max(f.USSPeak, s.USS)
		}
	}
	env, err := stats.CutByDefault(at, rss, planned)
	if env.Samples == 0 {
		// No sample at all: nothing to read.
		return f, env, false
	}
	f.DurationS, f.WarmUpS = env.Duration.Seconds(), env.WarmUp.Seconds()
	f.Baseline, f.Peak, f.PeakAtS = uint64(env.Baseline), uint64(env.Peak), env.PeakAt.Seconds()
	f.Growth = f.Peak - f.Baseline
	f.Windows, f.WindowS, f.Peaks, f.JudgedS = len(env.Windows), env.Width().Seconds(), env.Points, env.Judged.Seconds()
	if err != nil {
		// Too few windows counted to read a trend; the matchers would
		// call the recording inconclusive.
		return f, env, true
	}

	// The budget does not change the levels, the rise, its margin or the
	// trend, only the verdict, which is the matchers' to give.
	p := stats.JudgePlateau(env, 0, stats.DefaultConfidence, planned)
	f.EarlyLevel, f.LateLevel, f.Rise, f.RiseMargin = p.Early, p.Late, p.Rise, p.RiseMargin
	f.Slope, f.SlopeLower, f.SlopeUpper = finite(p.Trend.Slope), finite(p.Trend.Lower), finite(p.Trend.Upper)
	f.Confidence = p.Confidence
	minutes, peaks := env.Peaks()
	f.PeakNoise = stats.LocalNoise(peaks)
	f.SlopeNoise = slopeError(minutes, f.PeakNoise)
	return f, env, true
}

// finite returns a pointer to v, or nil when v is infinite or NaN, which
// JSON cannot hold and which says only that there is no such figure.
func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// slopeError returns the standard error of a line's slope fitted through
// points at x whose values scatter by sigma: the usual
// sigma / sqrt(sum((x - mean x)^2)).
func slopeError(x []float64, sigma float64) float64 {
	var mean float64
	for _, xi := range x {
		mean += xi / float64(len(x))
	}
	var spread float64
	for _, xi := range x {
		spread += (xi - mean) * (xi - mean)
	}
	if spread == 0 {
		return 0
	}
	return sigma / math.Sqrt(spread)
}
