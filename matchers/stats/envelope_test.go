package stats

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// staircase is a series sampled every half second for fifteen seconds that
// climbs 10 units at every whole second from 40, so its figures can be
// worked out by hand.
func staircase() ([]time.Duration, []float64) {
	var at []time.Duration
	var v []float64
	for k := range 31 {
		t := time.Duration(k) * 500 * time.Millisecond
		at = append(at, t)
		v = append(v, 40+10*float64(t/time.Second))
	}
	return at, v
}

func TestCut(t *testing.T) {
	at, v := staircase()
	e, err := Cut(at, v, 3*time.Second, 6)
	if err != nil {
		t.Fatalf("Cut: %v", err)
	}
	// After the 3 s warm-up, 25 samples from 3 s to 15 s fall in six
	// windows of 2 s; the last also holds the sample at 15 s.
	if e.Samples != 31 || e.Duration != 15*time.Second || e.Baseline != 40 || e.Peak != 190 || e.PeakAt != 15*time.Second ||
		e.JudgedSamples != 25 || e.Judged != 12*time.Second || e.Points != 6 || e.Width() != 2*time.Second || e.Growth() != 150 {
		t.Errorf("Cut = %+v", e)
	}
	minutes, peaks := e.Peaks()
	if want := []float64{80, 100, 120, 140, 160, 190}; !slices.Equal(peaks, want) {
		t.Errorf("Peaks = %v, want %v", peaks, want)
	}
	if minutes[0] != (4 * time.Second).Minutes() {
		t.Errorf("the first peak is at %v minutes, want the middle of its window, 4 s", minutes[0])
	}
	_, floors, floorAt := e.Floors()
	if want := []float64{70, 90, 110, 130, 150, 170}; !slices.Equal(floors, want) {
		t.Errorf("Floors = %v, want %v", floors, want)
	}
	if floorAt[1] != 5*time.Second {
		t.Errorf("the second floor was reached at %v, want 5s", floorAt[1])
	}
}

func TestCutWithTooLittleData(t *testing.T) {
	at, v := staircase()
	// A 12 s warm-up leaves 7 samples over 3 s: six windows of half a
	// second hold one or two samples each, fewer than three.
	e, err := Cut(at, v, 12*time.Second, 6)
	var short *InsufficientDataError
	if !errors.As(err, &short) {
		t.Fatalf("Cut error = %v, want an *InsufficientDataError", err)
	}
	const text = "not enough data (need at least 3 samples in each of 6 windows after the 12.0 s warm-up; " +
		"got 7 samples over 3.0 s after it, of 31 recorded over 15.0 s, and 0 windows held 3 or more)"
	if err.Error() != text {
		t.Errorf("error =\n%s\nwant\n%s", err, text)
	}
	if e.Samples != 31 || e.Baseline != 40 || e.Peak != 190 {
		t.Errorf("the whole-series fields are not set: %+v", e)
	}
}

func TestCutRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name    string
		at      []time.Duration
		v       []float64
		windows int
		want    string
	}{
		{"lengths differ", seconds(0, 1), []float64{1}, 6, "cut series: 2 times but 1 values"},
		{"no samples", nil, nil, 6, "cut series: no samples"},
		{"too few windows", seconds(0, 1), []float64{1, 2}, 5, "cut series: 5 windows, fewer than the 6 a verdict needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Cut(tt.at, tt.v, 0, tt.windows); err == nil || err.Error() != tt.want {
				t.Errorf("Cut error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCutWithoutWarmUpTakesTheBaselineFromTheFirstWindow(t *testing.T) {
	at, v := staircase()
	e, err := Cut(at, v, 0, 6)
	if err != nil {
		t.Fatalf("Cut: %v", err)
	}
	if e.Baseline != 40 || e.JudgedSamples != 31 {
		t.Errorf("Baseline, JudgedSamples = %v, %v; want 40, 31", e.Baseline, e.JudgedSamples)
	}
}

func TestEndWindows(t *testing.T) {
	for n, want := range map[int]int{6: 2, 7: 2, 9: 2, 10: 3, 12: 3, 13: 3, 14: 4, 24: 6} {
		if got := endWindows(n); got != want {
			t.Errorf("endWindows(%d) = %d, want %d", n, got, want)
		}
	}
}
