package stats

import (
	"reflect"
	"testing"
	"time"
)

func TestDefaultWarmUp(t *testing.T) {
	for run, want := range map[time.Duration]time.Duration{
		0: time.Second, 3 * time.Second: time.Second, 10 * time.Second: 2 * time.Second, time.Minute: 12 * time.Second,
	} {
		if got := DefaultWarmUp(run); got != want {
			t.Errorf("DefaultWarmUp(%v) = %v, want %v", run, got, want)
		}
	}
}

func TestMinRecordingLeavesEnoughSamplesAfterTheWarmUp(t *testing.T) {
	for _, c := range []struct{ interval, want time.Duration }{
		{100 * time.Millisecond, 4800 * time.Millisecond},
		{10 * time.Millisecond, 1380 * time.Millisecond},
		{time.Second, 47500 * time.Millisecond},
	} {
		got := MinRecording(c.interval)
		if got != c.want {
			t.Errorf("MinRecording(%v) = %v, want %v", c.interval, got, c.want)
		}
		after := got - DefaultWarmUp(got)
		if samples := int(after / c.interval); FitWindows(DefaultWindows, after, 0, samples) != DefaultWindows {
			t.Errorf("MinRecording(%v) leaves %v after the warm-up, %d samples, too few for %d windows", c.interval, after, samples, DefaultWindows)
		}
	}
}

func TestFitWindows(t *testing.T) {
	for _, tt := range []struct {
		n           int
		span, tooth time.Duration
		samples     int
		want        int
	}{
		{12, 8 * time.Second, 0, 80, 12},                      // no teeth: as asked
		{12, 48 * time.Second, 2 * time.Second, 480, 12},      // windows of 4 s hold two teeth
		{12, 40 * time.Second, 2 * time.Second, 400, 10},      // windows of 4 s: ten fit
		{12, 8 * time.Second, 2 * time.Second, 80, MinPoints}, // never fewer than a verdict needs
		{12, 2700 * time.Millisecond, 0, 27, 9},               // 3 samples a window: nine fit
		{12, time.Second, 0, 10, MinPoints},                   // too short for any: the fewest, found short by Cut
	} {
		if got := FitWindows(tt.n, tt.span, tt.tooth, tt.samples); got != tt.want {
			t.Errorf("FitWindows(%d, %v, %v, %d) = %d, want %d", tt.n, tt.span, tt.tooth, tt.samples, got, tt.want)
		}
	}
}

// sawtooth is a series sampled every 100 ms for the given time whose teeth
// climb 2 units a sample for 1.3 s and then drop.
func sawtooth(length time.Duration) ([]time.Duration, []float64) {
	var at []time.Duration
	var v []float64
	for k := 0; time.Duration(k)*100*time.Millisecond <= length; k++ {
		at = append(at, time.Duration(k)*100*time.Millisecond)
		v = append(v, 100+2*float64(k%13))
	}
	return at, v
}

func TestCutByDefaultCutsAsTheDefaultsSay(t *testing.T) {
	// Fifteen seconds without teeth, sampled twice a second: a 3 s
	// warm-up, and 25 samples after it, too few for twelve windows of
	// three: eight windows.
	at, v := staircase()
	got, err := CutByDefault(at, v, 0)
	want, wantErr := Cut(at, v, 3*time.Second, 8)
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(err, wantErr) || err != nil {
		t.Errorf("CutByDefault of 15 s = %+v, %v;\nwant Cut with 3 s and 8 windows: %+v, %v", got, err, want, wantErr)
	}
	// A run planned to last 30 s keeps its 6 s warm-up from the start.
	if got, _ := CutByDefault(at, v, 30*time.Second); got.WarmUp != 6*time.Second {
		t.Errorf("CutByDefault planned for 30 s: warm-up %v, want 6s", got.WarmUp)
	}
	// A sawtooth of 1.3 s teeth over 24 s judged after the 6 s warm-up:
	// windows of two teeth, 2.6 s, so nine of them.
	at, v = sawtooth(30 * time.Second)
	got, err = CutByDefault(at, v, 0)
	if err != nil || got.WarmUp != 6*time.Second || len(got.Windows) != 9 {
		t.Errorf("CutByDefault of a sawtooth = %d windows after %v, %v; want 9 after 6s", len(got.Windows), got.WarmUp, err)
	}
	if _, err := CutByDefault(nil, nil, 0); err == nil {
		t.Error("CutByDefault of no samples: no error")
	}
}
