package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// MinPoints is the fewest windows with enough samples that a verdict is read
// from. Sen's 95 % bound on a slope needs five independent points to be
// finite at all; a sixth leaves room for a little autocorrelation.
const MinPoints = 6

// MinWindowSamples is the fewest samples a window needs for its extremes to
// count. A single sample may sit anywhere on a tooth of the sawtooth; three
// already bracket some of it.
const MinWindowSamples = 3

// Envelope is a memory series after its warm-up, cut into equal windows of
// time: the maxima of the windows are its peak envelope, their minima its
// floor. It also keeps the figures of the whole series that every failure
// message starts with.
type Envelope struct {
	// Samples is how many samples the whole series holds and Duration the
	// time of the last one.
	Samples  int
	Duration time.Duration
	// Baseline is the floor of the warm-up: the least memory the worker held
	// before the scenario's load could build up. It is a minimum because
	// memory is a sawtooth whose troughs are what the worker keeps and its
	// teeth what it only borrows; it comes from the warm-up because a fast
	// leak leaves no quiet stretch after it. Without a warm-up it is the
	// floor of the first window. A recording starts with the worker at
	// rest, so it is where the load began: PlateauWithin holds the floor
	// the worker settles on to within its budget of it.
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
	// with at least MinWindowSamples samples count; Points is how many.
	Windows []Window
	Points  int
}

// Width returns the length of one window.
func (e Envelope) Width() time.Duration {
	if len(e.Windows) == 0 {
		return 0
	}
	return e.Windows[0].End - e.Windows[0].Start
}

// Growth returns how far the peak stands above the baseline.
func (e Envelope) Growth() float64 { return e.Peak - e.Baseline }

// counted returns the windows that hold enough samples to count.
// Counted returns the windows that count, those whose peaks and floors
// the checks read, for a caller that draws what they read.
func (e Envelope) Counted() []Window { return e.counted() }

func (e Envelope) counted() []Window {
	var ws []Window
	for _, w := range e.Windows {
		if w.Samples >= MinWindowSamples {
			ws = append(ws, w)
		}
	}
	return ws
}

// Peaks returns the peak envelope: for each window that counts, its middle
// in minutes and its maximum.
func (e Envelope) Peaks() (minutes, peaks []float64) {
	for _, w := range e.counted() {
		minutes = append(minutes, w.Mid().Minutes())
		peaks = append(peaks, w.Max)
	}
	return minutes, peaks
}

// Floors returns the floor: for each window that counts, its middle in
// minutes, its minimum and the time of that minimum.
func (e Envelope) Floors() (minutes, floors []float64, at []time.Duration) {
	for _, w := range e.counted() {
		minutes = append(minutes, w.Mid().Minutes())
		floors = append(floors, w.Min)
		at = append(at, w.MinAt)
	}
	return minutes, floors, at
}

// InsufficientDataError says that too few samples follow the warm-up to
// judge a series.
type InsufficientDataError struct {
	// WarmUp and Windows are what the series was to be judged with.
	WarmUp  time.Duration
	Windows int
	// Samples and Span are how many samples followed the warm-up and how
	// long they lasted; Points is how many windows held enough of them.
	Samples int
	Span    time.Duration
	Points  int
	// Recorded and Duration describe the whole series, warm-up included,
	// so the message tells a run that was too short from a warm-up that
	// was too long.
	Recorded int
	Duration time.Duration
}

func (e *InsufficientDataError) Error() string {
	of := fmt.Sprintf("%d of the %d windows", MinPoints, e.Windows)
	if e.Windows == MinPoints {
		of = fmt.Sprintf("%d windows", MinPoints)
	}
	return fmt.Sprintf("not enough data (need at least %d samples in each of %s after the %.1f s warm-up; got %s over %.1f s after it, of %d recorded over %.1f s, and %s held %d or more)",
		MinWindowSamples, of, e.WarmUp.Seconds(), count(e.Samples, "sample"), e.Span.Seconds(),
		e.Recorded, e.Duration.Seconds(), count(e.Points, "window"), MinWindowSamples)
}

// count prints n things, as "1 sample" or "3 samples".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// Cut leaves out the samples of the series (at, v) before warmUp and cuts
// the rest into the given number of windows (at least MinPoints). The series
// must be in time order.
//
// When fewer than MinPoints windows hold MinWindowSamples samples, Cut
// returns an *InsufficientDataError together with an Envelope whose
// whole-series fields and counts are set, so that a caller can still say
// what it saw. Other errors mean the arguments were wrong.
func Cut(at []time.Duration, v []float64, warmUp time.Duration, windows int) (Envelope, error) {
	switch {
	case len(at) != len(v):
		return Envelope{}, fmt.Errorf("cut series: %d times but %d values", len(at), len(v))
	case len(at) == 0:
		return Envelope{}, errors.New("cut series: no samples")
	case windows < MinPoints:
		return Envelope{}, fmt.Errorf("cut series: %d windows, fewer than the %d a verdict needs", windows, MinPoints)
	}
	e := Envelope{Samples: len(v), Duration: at[len(at)-1], WarmUp: warmUp}
	e.PeakAt, e.Peak = Peak(at, v)
	first := sort.Search(len(at), func(i int) bool { return at[i] >= warmUp })
	judgedAt, judgedV := at[first:], v[first:]
	e.Windows = Windows(judgedAt, judgedV, windows)
	e.JudgedSamples = len(judgedAt)
	if len(judgedAt) > 0 {
		e.Judged = judgedAt[len(judgedAt)-1] - judgedAt[0]
	}
	switch {
	case first > 0:
		e.Baseline = slices.Min(v[:first])
	default:
		e.Baseline = e.Windows[0].Min
	}
	e.Points = len(e.counted())
	if e.Points < MinPoints {
		return e, &InsufficientDataError{WarmUp: warmUp, Windows: windows, Samples: e.JudgedSamples, Span: e.Judged,
			Points: e.Points, Recorded: e.Samples, Duration: e.Duration}
	}
	return e, nil
}

// endWindows returns how many windows at each end of an envelope of n points
// are pooled into its early and late level: a quarter of them, at least
// two, so that the level of an end is a median that one odd window cannot
// move far.
func endWindows(n int) int {
	return max(2, (n+2)/4)
}

// levelMargin returns the noise margin of the difference between the
// medians of two groups of m values each, at the normal quantile z, for
// values with the robust standard deviation sigma. The median of m normal
// values has a standard deviation of about sigma·√(π/2m), so the difference
// of two has sigma·√(π/m).
func levelMargin(z, sigma float64, m int) float64 {
	return z * sigma * math.Sqrt(math.Pi/float64(m))
}

// LocalNoise returns a robust standard deviation of the values of v around
// their local level: 1.4826 times the median absolute deviation of the
// differences between neighbours, divided by √2, as a difference holds the
// noise of two values. Unlike the scatter around a fitted line, it is not
// fooled by a series that is not a line: a climb that stops, a step, a
// cache that fills are changes of level, which a margin must not mistake
// for noise and excuse.
func LocalNoise(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	d := make([]float64, len(v)-1)
	for i := range d {
		d[i] = v[i+1] - v[i]
	}
	center := Median(d)
	for i := range d {
		d[i] = math.Abs(d[i] - center)
	}
	return madToSigma * Median(d) / math.Sqrt2
}
