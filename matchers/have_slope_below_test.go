package matchers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

func TestHaveSlopeBelowMessages(t *testing.T) {
	// climb's floor, 70 MB in the first window and 180 MB in the last,
	// rises 600 MB/min between every pair of windows but those with the
	// last, so the slope and both bounds are 600 MB/min.
	m := matchers.HaveSlopeBelow(matchers.MBPerMinute(100))
	rec := climb()
	if ok, err := m.Match(rec); ok || err != nil {
		t.Fatalf("Match = %v, %v; want false, <nil>", ok, err)
	}
	want := "Expected memory to have a slope below 100.0 MB/min, but it grew faster: " + climbFigures +
		"; after the 3.0 s warm-up the floor of 12 windows of 1.0 s went from 70.0 MB to 180.0 MB over 12.0 s, " +
		"a slope of 600.0 MB/min (95 %: 600.0 to 600.0 MB/min).\n" + climbChart
	if got := m.FailureMessage(rec); got != want {
		t.Errorf("message =\n%s\nwant\n%s", got, want)
	}

	// A step in the last quarter leaves the slope level, but its upper
	// bound (widened, since the residuals of a step look correlated) is
	// far above the rate: the run cannot show the rate is kept.
	s := step()
	if ok, err := m.Match(s); ok || err != nil {
		t.Fatalf("Match of a step = %v, %v; want false, <nil>", ok, err)
	}
	const unsure = "Expected memory to have a slope below 100.0 MB/min, but the run was too short or too noisy to show it: " +
		"from a baseline of 40.0 MB it peaked at 100.0 MB (+60.0 MB) over 15.0 s (61 samples); after the 3.0 s warm-up the floor of 12 windows of 1.0 s " +
		"went from 40.0 MB to 100.0 MB over 12.0 s, a slope of 0.0 MB/min (95 %, widened for the windows' autocorrelation of 0.95: 0.0 to 582.2 MB/min).\n"
	if got := m.FailureMessage(s); !strings.HasPrefix(got, unsure) {
		t.Errorf("message =\n%s\nwant it to start with\n%s", got, unsure)
	}
}

func TestHaveSlopeBelowVerdicts(t *testing.T) {
	tests := []struct {
		name string
		rec  recording.Recording
		rate matchers.BytesPerMinute
		want bool
	}{
		{"a climb of 600 MB/min below 601 MB/min", climb(), matchers.MBPerMinute(601), true},
		{"a climb of 600 MB/min against 600 MB/min", climb(), matchers.MBPerMinute(599), false},
		{"a level sawtooth", level(), matchers.MBPerMinute(1), true},
		{"a flat sawtooth 128 MB deep", flatSawtooth(), matchers.MBPerMinute(1), true},
		{"a 40 MB/min leak with 4 MB noise", linearLeak(1, 40), matchers.MBPerMinute(10), false},
		{"a plateau with 5 MB noise", noisyPlateau(1), matchers.MBPerMinute(10), true},
		{"aborted, though level", aborted(level(), "the worker crashed"), matchers.MBPerMinute(1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.HaveSlopeBelow(tt.rate)
			if ok, err := m.Match(tt.rec); ok != tt.want || err != nil {
				t.Errorf("Match = %v, %v; want %v, <nil>\n%s", ok, err, tt.want, m.FailureMessage(tt.rec))
			}
		})
	}
}

func TestMBPerMinute(t *testing.T) {
	if got := matchers.MBPerMinute(2.5); got != 2_500_000 {
		t.Errorf("MBPerMinute(2.5) = %v bytes a minute, want 2500000", got)
	}
	// A spec may also write the rate in bytes a minute.
	if _, err := matchers.HaveSlopeBelow(5e6, matchers.Windows(6), matchers.WarmUp(time.Second)).Match(climb()); err != nil {
		t.Errorf("HaveSlopeBelow(5e6): %v", err)
	}
}
