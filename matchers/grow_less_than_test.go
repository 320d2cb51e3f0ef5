package matchers_test

import (
	"testing"
	"time"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

func TestGrowLessThanMessage(t *testing.T) {
	// climb's floor, after the 3 s warm-up: the minima of its twelve
	// windows are 70, 80, ... 170 and 180 MB; the first three have the
	// median 80 MB, the last three 170 MB.
	m := matchers.GrowLessThan(32 * matchers.MB)
	rec := climb()
	if ok, err := m.Match(rec); ok || err != nil {
		t.Fatalf("Match = %v, %v; want false, <nil>", ok, err)
	}
	want := "Expected memory to grow less than 32.0 MB, but its floor grew +90.0 MB: " + climbFigures +
		"; after the 3.0 s warm-up the floor of 12 windows of 1.0 s went from 80.0 MB to 170.0 MB (+90.0 MB, noise margin 0.0 MB) " +
		"and trends at 600.0 MB/min (95 %: 600.0 to 600.0 MB/min).\n" + climbChart
	if got := m.FailureMessage(rec); got != want {
		t.Errorf("message =\n%s\nwant\n%s", got, want)
	}
}

func TestGrowLessThanVerdicts(t *testing.T) {
	tests := []struct {
		name  string
		rec   recording.Recording
		limit uint64
		want  bool
	}{
		{"a climb of 90 MB within 91 MB", climb(), 91 * matchers.MB, true},
		{"a climb of 90 MB against 90 MB", climb(), 90 * matchers.MB, false},
		{"a flat sawtooth 128 MB deep", flatSawtooth(), 8 * matchers.MB, true},
		{"the ratchet", ratchet(), 32 * matchers.MB, false},
		{"a step up of 60 MB in the last quarter", step(), 8 * matchers.MB, false},
		{"a noisy plateau", noisyPlateau(3), 16 * matchers.MB, true},
		{"aborted, though flat", aborted(level(), "the worker crashed"), 32 * matchers.MB, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.GrowLessThan(tt.limit)
			if ok, err := m.Match(tt.rec); ok != tt.want || err != nil {
				t.Errorf("Match = %v, %v; want %v, <nil>\n%s", ok, err, tt.want, m.FailureMessage(tt.rec))
			}
		})
	}
}

func TestGrowLessThanIsInconclusiveOnAShortRun(t *testing.T) {
	_, err := matchers.GrowLessThan(32 * matchers.MB).Match(firstSeconds(climb(), 4*time.Second))
	const want = "GrowLessThan is inconclusive: not enough data (need at least 3 samples in each of 6 windows after the 1.0 s warm-up; " +
		"got 13 samples over 3.0 s after it, of 17 recorded over 4.0 s, and 1 window held 3 or more); record for longer or sample more often"
	if err == nil || err.Error() != want {
		t.Errorf("Match error = %v\nwant %s", err, want)
	}
}
