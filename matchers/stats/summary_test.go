package stats

import (
	"testing"
	"time"
)

func TestSummarizeKeepsTheFirstVersionsNumbers(t *testing.T) {
	// The staircase after a 3 s warm-up in six windows of 2 s: peaks 80,
	// 100, ... 160 and 190, ten a second but for the last; the highest
	// later peak stands 110 above the first.
	at, v := staircase()
	s, err := Summarize(at, v, 3*time.Second, 6)
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	if s.Baseline != 40 || s.Peak != 190 || s.Peaks != 6 || s.EarlyPeak != 80 || s.Rise != 110 || !near(s.SlopePerMinute, 600) || s.Growth() != 150 {
		t.Errorf("Summarize = %+v", s)
	}
	if _, err := Summarize(at, v, 14*time.Second, 6); err == nil {
		t.Error("Summarize of two samples after the warm-up: no error")
	}
}
