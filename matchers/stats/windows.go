package stats

import "time"

// Window is one equal span of time of a series, with the extremes of the
// samples that fell in it. Max is the window's peak, the top of whatever
// sawtooth teeth it holds; Min is its floor, the memory the runtime did not
// give back.
type Window struct {
	// Start and End bound the window. Every window but the last holds the
	// samples in [Start, End); the last also holds its End, the last sample.
	Start, End time.Duration
	// Samples is how many samples fell in the window.
	Samples int
	// Min and Max are the lowest and highest sample in the window, and MinAt
	// the time of the first sample at Min; all are zero when the window
	// holds no sample.
	Min, Max float64
	MinAt    time.Duration
}

// Mid returns the middle of the window, the time its peak is plotted at
// when a line is fitted through the peaks: a tooth's peak can be anywhere in
// the window, so the middle is the unbiased guess.
func (w Window) Mid() time.Duration { return w.Start + (w.End-w.Start)/2 }

// Windows cuts the series into n windows of equal length, from the first
// sample's time to the last's, and returns them in time order. Windows are
// equal in time rather than in samples so that a stalled sampler shows as a
// sparse window instead of silently stretching one. It returns nil when n is
// not positive or the series is empty; when all samples share one time they
// all fall in the first window.
func Windows(at []time.Duration, v []float64, n int) []Window {
	if n <= 0 || len(at) == 0 {
		return nil
	}
	start, span := at[0], at[len(at)-1]-at[0]
	windows := make([]Window, n)
	for i := range windows {
		windows[i].Start = start + time.Duration(float64(span)*float64(i)/float64(n))
		windows[i].End = start + time.Duration(float64(span)*float64(i+1)/float64(n))
	}
	for k, t := range at {
		i := 0
		if span > 0 {
			i = min(n-1, int(float64(t-start)*float64(n)/float64(span)))
		}
		w := &windows[i]
		if w.Samples == 0 || v[k] < w.Min {
			w.Min, w.MinAt = v[k], t
		}
		if w.Samples == 0 || v[k] > w.Max {
			w.Max = v[k]
		}
		w.Samples++
	}
	return windows
}
