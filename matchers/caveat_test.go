package matchers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// creep climbs 1 MB at every whole second from 40 MB, sampled every 250 ms
// for 15 s: after the 3 s warm-up its peaks climb 60 MB/min without noise,
// 12 MB over the 12 s judged, under half of a 32 MB budget but more than a
// quarter of it.
func creep() recording.Recording {
	return sampled(250*time.Millisecond, 15*time.Second, func(t time.Duration) uint64 {
		return 40*matchers.MB + matchers.MB*uint64(t/time.Second)
	})
}

func TestCaveat(t *testing.T) {
	// At 60 MB/min a climb adds the 16 MB that fail the trend in 16 s
	// judged; twice that is judged by a run of 40 s, whose default warm-up
	// is a fifth of it.
	stillRising := "Memory was still rising when the run ended: by at least 60.0 MB/min (95 %), +12.0 MB over the 12.0 s judged, " +
		"more than a quarter of the 32.0 MB allowed. If this spec guards a slow leak, load it for longer: " +
		"a climb that steady adds the 16.0 MB that fail the spec in about 16.0 s judged, and a run of 40.0 s or more judges twice that."
	tests := []struct {
		name string
		rec  recording.Recording
		want string
	}{
		{"a pass still rising", creep(), stillRising},
		{"a level pass", level(), ""},
		{"a failure", climb(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.PlateauWithin(32 * matchers.MB)
			if got := matchers.Caveat(tt.rec, m); got != tt.want {
				t.Errorf("Caveat() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	t.Run("a warm-up the spec set", func(t *testing.T) {
		// The same climb after a 3 s warm-up the spec chose: the run
		// suggested is that warm-up and twice the 16 s judged.
		got := matchers.Caveat(creep(), matchers.PlateauWithin(32*matchers.MB, matchers.WarmUp(3*time.Second)))
		if want := "and a run of 35.0 s or more judges twice that."; !strings.HasSuffix(got, want) {
			t.Errorf("Caveat() = %q, want it to end %q", got, want)
		}
	})
	t.Run("not a leakspec matcher", func(t *testing.T) {
		if got := matchers.Caveat(creep(), nil); got != "" {
			t.Errorf("Caveat(nil matcher) = %q, want none", got)
		}
	})
	t.Run("a recording it cannot judge", func(t *testing.T) {
		if got := matchers.Caveat("not a recording", matchers.PlateauWithin(32*matchers.MB)); got != "" {
			t.Errorf("Caveat(a string) = %q, want none", got)
		}
	})
}
