package stats

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		v    []float64
		want float64
	}{
		{"one value", []float64{7}, 7},
		{"odd length, unsorted", []float64{9, 1, 5}, 5},
		{"even length takes the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"duplicates", []float64{2, 2, 2, 9}, 2},
		{"negative values", []float64{-3, -1, -2}, -2},
		{"huge values do not overflow", []float64{math.MaxFloat64, math.MaxFloat64}, math.MaxFloat64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.v)
			if got := Median(in); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.v, got, tt.want)
			}
			if !slices.Equal(in, tt.v) {
				t.Errorf("Median reordered its input to %v", in)
			}
		})
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

func TestTheilSen(t *testing.T) {
	tests := []struct {
		name                     string
		x, y                     []float64
		wantSlope, wantIntercept float64
	}{
		{"exact on a line", []float64{0, 1, 2, 3, 4}, []float64{-2, 1, 4, 7, 10}, 3, -2},
		{"exact on a falling line with uneven x", []float64{-5, 0.5, 2, 10}, []float64{12.5, 1.5, -1.5, -17.5}, -2, 2.5},
		{"a level line", []float64{1, 2, 3}, []float64{5, 5, 5}, 0, 5},
		{"one wild point cannot tilt it", []float64{0, 1, 2, 3, 4, 5}, []float64{0, 2, 4, 1000, 8, 10}, 2, 0},
		{"points sharing an x are only compared with the others", []float64{1, 1, 2, 3}, []float64{2, 2, 4, 6}, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slope, intercept := TheilSen(tt.x, tt.y)
			if slope != tt.wantSlope || intercept != tt.wantIntercept {
				t.Errorf("TheilSen = (%v, %v), want (%v, %v)", slope, intercept, tt.wantSlope, tt.wantIntercept)
			}
		})
	}
	t.Run("no two distinct x", func(t *testing.T) {
		slope, intercept := TheilSen([]float64{3, 3}, []float64{1, 2})
		if !math.IsNaN(slope) || !math.IsNaN(intercept) {
			t.Errorf("TheilSen = (%v, %v), want (NaN, NaN)", slope, intercept)
		}
	})
	t.Run("mismatched lengths panic", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("TheilSen did not panic on x and y of different lengths")
			}
		}()
		TheilSen([]float64{1, 2}, []float64{1})
	})
}

func TestPeakAndAtLeast(t *testing.T) {
	at := seconds(0, 1, 2, 3, 4)
	v := []float64{5, 9, 3, 9, 1}
	if when, peak := Peak(at, v); when != time.Second || peak != 9 {
		t.Errorf("Peak = (%v, %v), want the first 9 at 1s", when, peak)
	}
	if when, peak := Peak(nil, nil); when != 0 || !math.IsNaN(peak) {
		t.Errorf("Peak of nothing = (%v, %v), want (0, NaN)", when, peak)
	}
	for limit, want := range map[float64]int{9: 2, 5: 3, 10: 0, 1: 5} {
		if got := AtLeast(v, limit); got != want {
			t.Errorf("AtLeast(%v, %v) = %d, want %d", v, limit, got, want)
		}
	}
}

func TestWindows(t *testing.T) {
	tests := []struct {
		name string
		at   []time.Duration
		v    []float64
		n    int
		want []Window
	}{
		{
			name: "equal spans of time, the last holding the last sample",
			at:   seconds(0, 1, 2, 3, 4, 5, 6),
			v:    []float64{1, 5, 2, 8, 3, 4, 9},
			n:    3,
			want: []Window{
				{Start: 0, End: 2 * time.Second, Samples: 2, Min: 1, Max: 5},
				{Start: 2 * time.Second, End: 4 * time.Second, Samples: 2, Min: 2, Max: 8},
				{Start: 4 * time.Second, End: 6 * time.Second, Samples: 3, Min: 3, Max: 9},
			},
		},
		{
			name: "a stalled sampler leaves a window empty",
			at:   seconds(10, 11, 15, 16),
			v:    []float64{4, 6, 7, 5},
			n:    3,
			want: []Window{
				{Start: 10 * time.Second, End: 12 * time.Second, Samples: 2, Min: 4, Max: 6},
				{Start: 12 * time.Second, End: 14 * time.Second},
				{Start: 14 * time.Second, End: 16 * time.Second, Samples: 2, Min: 5, Max: 7},
			},
		},
		{
			name: "samples at one instant fall in the first window",
			at:   seconds(3, 3),
			v:    []float64{2, 1},
			n:    2,
			want: []Window{
				{Start: 3 * time.Second, End: 3 * time.Second, Samples: 2, Min: 1, Max: 2},
				{Start: 3 * time.Second, End: 3 * time.Second},
			},
		},
		{name: "no windows asked", at: seconds(0, 1), v: []float64{1, 2}, n: 0},
		{name: "no samples", n: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Windows(tt.at, tt.v, tt.n); !slices.Equal(got, tt.want) {
				t.Errorf("Windows =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
	if mid := (Window{Start: time.Second, End: 3 * time.Second}).Mid(); mid != 2*time.Second {
		t.Errorf("Mid = %v, want 2s", mid)
	}
}

// staircase is a series sampled every half second for ten seconds that
// climbs 10 units at every whole second from 40, so its figures can be worked
// out by hand.
func staircase() ([]time.Duration, []float64) {
	var at []time.Duration
	var v []float64
	for k := range 21 {
		t := time.Duration(k) * 500 * time.Millisecond
		at = append(at, t)
		v = append(v, 40+10*float64(t/time.Second))
	}
	return at, v
}

func TestSummarize(t *testing.T) {
	at, v := staircase()
	s, err := Summarize(at, v, 2*time.Second, 4)
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	// After the 2 s warm-up four windows of 2 s hold the peaks 70, 90, 110
	// and 140 at the middles 3, 5, 7 and 9 s. Their pairwise slopes are 10,
	// 10, 10, 35/3, 12.5 and 15 a second, so the median is 65/6 a second,
	// 650 a minute, which over the 8 s judged comes to 260/3.
	want := Summary{
		Samples: 21, Duration: 10 * time.Second, Baseline: 40, Peak: 140, PeakAt: 10 * time.Second,
		WarmUp: 2 * time.Second, JudgedSamples: 17, Judged: 8 * time.Second, Peaks: 4,
		EarlyPeak: 70, Rise: 70,
	}
	got := s
	got.Windows, got.SlopePerMinute, got.Trend = nil, 0, 0
	if !equalSummaries(got, want) {
		t.Errorf("Summarize =\n%+v\nwant\n%+v", got, want)
	}
	if len(s.Windows) != 4 || s.Windows[3].Max != 140 || s.Windows[3].Samples != 5 {
		t.Errorf("Windows = %+v, want 4 windows, the last with 5 samples and a peak of 140", s.Windows)
	}
	if !near(s.SlopePerMinute, 650) || !near(s.Trend, 260.0/3) {
		t.Errorf("SlopePerMinute, Trend = %v, %v; want 650, 86.67", s.SlopePerMinute, s.Trend)
	}
	if s.Growth() != 100 {
		t.Errorf("Growth = %v, want 100", s.Growth())
	}
}

func TestSummarizeWithoutWarmUpTakesTheBaselineFromTheFirstWindow(t *testing.T) {
	at, v := staircase()
	s, err := Summarize(at, v, 0, 5)
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	if s.Baseline != 40 || s.JudgedSamples != 21 || s.EarlyPeak != 50 {
		t.Errorf("Baseline, JudgedSamples, EarlyPeak = %v, %v, %v; want 40, 21, 50", s.Baseline, s.JudgedSamples, s.EarlyPeak)
	}
}

func TestSummarizeIsBlindToAConstantShift(t *testing.T) {
	at, v := staircase()
	for i := range v {
		v[i] = v[i]*1e6 + float64(i%3)*7e6
	}
	base, err := Summarize(at, v, time.Second, 5)
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	for _, shift := range []float64{1, 4096, 3e9, 1 << 40} {
		shifted := make([]float64, len(v))
		for i := range v {
			shifted[i] = v[i] + shift
		}
		s, err := Summarize(at, shifted, time.Second, 5)
		if err != nil {
			t.Fatalf("Summarize shifted by %v: %v", shift, err)
		}
		if s.Rise != base.Rise || s.SlopePerMinute != base.SlopePerMinute || s.Growth() != base.Growth() {
			t.Errorf("shifted by %v: Rise, SlopePerMinute, Growth = %v, %v, %v; want %v, %v, %v",
				shift, s.Rise, s.SlopePerMinute, s.Growth(), base.Rise, base.SlopePerMinute, base.Growth())
		}
	}
}

func TestSummarizeWithTooLittleData(t *testing.T) {
	at, v := staircase()
	// An 8 s warm-up leaves 5 samples over 2 s: of three windows of 0.67 s,
	// the middle one holds a single sample, so only two peaks count.
	s, err := Summarize(at, v, 8*time.Second, 3)
	short, ok := err.(*InsufficientDataError)
	if !ok {
		t.Fatalf("Summarize error = %v, want an *InsufficientDataError", err)
	}
	wantErr := &InsufficientDataError{WarmUp: 8 * time.Second, Windows: 3, Samples: 5, Span: 2 * time.Second, Peaks: 2,
		Recorded: 21, Duration: 10 * time.Second}
	if *short != *wantErr {
		t.Errorf("error = %+v, want %+v", short, wantErr)
	}
	const text = "not enough data (need at least 2 samples in each of 3 of the 3 windows after the 8.0 s warm-up; got 5 samples over 2.0 s after it, of 21 recorded over 10.0 s, and 2 windows held 2 or more)"
	if err.Error() != text {
		t.Errorf("error text =\n%s\nwant\n%s", err, text)
	}
	if s.Samples != 21 || s.Baseline != 40 || s.Peak != 140 || s.PeakAt != 10*time.Second {
		t.Errorf("the whole-series fields are not set: %+v", s)
	}
}

func TestSummarizeRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name    string
		at      []time.Duration
		v       []float64
		windows int
		want    string
	}{
		{"lengths differ", seconds(0, 1), []float64{1}, 3, "summarize series: 2 times but 1 values"},
		{"no samples", nil, nil, 3, "summarize series: no samples"},
		{"too few windows", seconds(0, 1), []float64{1, 2}, 2, "summarize series: 2 windows, fewer than the 3 a trend needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Summarize(tt.at, tt.v, 0, tt.windows)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Summarize error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPlateausWithin(t *testing.T) {
	tests := []struct {
		name        string
		rise, trend float64
		want        bool
	}{
		{"both within", 10, 10, true},
		{"both at the budget", 16, 16, true},
		{"a step up", 17, 5, false},
		{"a climb still close to the first peak", 5, 17, false},
		{"falling", -30, -40, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Summary{Rise: tt.rise, Trend: tt.trend}).PlateausWithin(16); got != tt.want {
				t.Errorf("PlateausWithin(16) with Rise %v and Trend %v = %v, want %v", tt.rise, tt.trend, got, tt.want)
			}
		})
	}
}

func seconds(s ...float64) []time.Duration {
	at := make([]time.Duration, len(s))
	for i, x := range s {
		at[i] = time.Duration(x * float64(time.Second))
	}
	return at
}

func near(got, want float64) bool { return math.Abs(got-want) <= 1e-9*math.Abs(want) }

func equalSummaries(a, b Summary) bool {
	return a.Samples == b.Samples && a.Duration == b.Duration && a.Baseline == b.Baseline &&
		a.Peak == b.Peak && a.PeakAt == b.PeakAt && a.WarmUp == b.WarmUp &&
		a.JudgedSamples == b.JudgedSamples && a.Judged == b.Judged && a.Peaks == b.Peaks &&
		a.EarlyPeak == b.EarlyPeak && a.Rise == b.Rise
}
