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
				{Start: 0, End: 2 * time.Second, Samples: 2, Min: 1, Max: 5, MinAt: 0},
				{Start: 2 * time.Second, End: 4 * time.Second, Samples: 2, Min: 2, Max: 8, MinAt: 2 * time.Second},
				{Start: 4 * time.Second, End: 6 * time.Second, Samples: 3, Min: 3, Max: 9, MinAt: 4 * time.Second},
			},
		},
		{
			name: "a stalled sampler leaves a window empty",
			at:   seconds(10, 11, 15, 16),
			v:    []float64{4, 6, 7, 5},
			n:    3,
			want: []Window{
				{Start: 10 * time.Second, End: 12 * time.Second, Samples: 2, Min: 4, Max: 6, MinAt: 10 * time.Second},
				{Start: 12 * time.Second, End: 14 * time.Second},
				{Start: 14 * time.Second, End: 16 * time.Second, Samples: 2, Min: 5, Max: 7, MinAt: 16 * time.Second},
			},
		},
		{
			name: "samples at one instant fall in the first window",
			at:   seconds(3, 3),
			v:    []float64{2, 1},
			n:    2,
			want: []Window{
				{Start: 3 * time.Second, End: 3 * time.Second, Samples: 2, Min: 1, Max: 2, MinAt: 3 * time.Second},
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

func seconds(s ...float64) []time.Duration {
	at := make([]time.Duration, len(s))
	for i, x := range s {
		at[i] = time.Duration(x * float64(time.Second))
	}
	return at
}
