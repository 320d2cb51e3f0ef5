package matchers_test

import (
	"testing"
	"time"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// settling idles at 40 MB until the load starts at 5 s, holds 100 MB under
// load until it stops at 10 s, 70 MB for two seconds more while the
// allocator decays, and 45 MB from 12 s, sampled every 100 ms until end.
func settling(end time.Duration) recording.Recording {
	rec := sampled(100*time.Millisecond, end, func(t time.Duration) uint64 {
		switch {
		case t < 5*time.Second:
			return 40 * matchers.MB
		case t < 10*time.Second:
			return 100 * matchers.MB
		case t < 12*time.Second:
			return 70 * matchers.MB
		}
		return 45 * matchers.MB
	})
	return withEvents(withEvents(rec, recording.LoadStart, 5*time.Second), recording.LoadStop, 10*time.Second)
}

func TestReturnToBaselineMessages(t *testing.T) {
	// The baseline is the median of the 50 samples before 5 s. The first
	// window of a second after the stop whose median is 45 MB ends at
	// 12.5 s: 11.6 to 11.9 s at 70 MB, 12.0 to 12.5 s at 45 MB.
	const before = "before the load started at 5.0 s its level was 40.0 MB (the median of 50 samples); " +
		"under load it peaked at 100.0 MB at 5.0 s (+60.0 MB)"
	rec := settling(25 * time.Second)

	back := matchers.ReturnToBaseline(8 * matchers.MB)
	if ok, err := back.Match(rec); !ok || err != nil {
		t.Fatalf("Match within 8 MB = %v, %v; want true, <nil>", ok, err)
	}
	want := "Expected memory not to return to within 8.0 MB of its baseline, but it did: " + before +
		", and 2.5 s after the load stopped at 10.0 s its level over 1.0 s was 45.0 MB (+5.0 MB).\n" + settlingChart
	if got := back.NegatedFailureMessage(rec); got != want {
		t.Errorf("negated message =\n%s\nwant\n%s", got, want)
	}

	stuck := matchers.ReturnToBaseline(4 * matchers.MB)
	if ok, err := stuck.Match(rec); ok || err != nil {
		t.Fatalf("Match within 4 MB = %v, %v; want false, <nil>", ok, err)
	}
	want = "Expected memory to return to within 4.0 MB of its baseline, but it stayed up: " + before +
		", and in the 10.0 s after the load stopped at 10.0 s its level over 1.0 s came down to 45.0 MB at the lowest (+5.0 MB).\n" + settlingChart
	if got := stuck.FailureMessage(rec); got != want {
		t.Errorf("message =\n%s\nwant\n%s", got, want)
	}
}

// settlingChart is settling(25 s) drawn from its lowest sample to its
// highest, with the end of the load marked: 70 MB is half-way up, 33
// eighths of a row, and 45 MB six eighths.
const settlingChart = `100.0 MB ┤            ████████████
         │            ████████████
         │            ████████████
         │            ████████████▁▁▁▁▁
         │            █████████████████
         │            █████████████████
         │            █████████████████
 40.0 MB ┤▁▁▁▁▁▁▁▁▁▁▁▁█████████████████▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆▆
         └────────────────────────┴───────────────────────────────────
          0.0 s                   ↑ load stops                  25.0 s`

func TestReturnToBaselineVerdicts(t *testing.T) {
	tests := []struct {
		name   string
		rec    recording.Recording
		within uint64
		opts   []matchers.Option
		want   bool
	}{
		{"back within 8 MB", settling(25 * time.Second), 8 * matchers.MB, nil, true},
		{"back, though only 3 s after the stop were recorded", settling(13 * time.Second), 8 * matchers.MB, nil, true},
		{"back too late for a decay limit of 2 s", settling(25 * time.Second), 8 * matchers.MB, []matchers.Option{matchers.DecayLimit(2 * time.Second)}, false},
		{"a window of 3 s takes until 13.6 s, too late for 3 s", settling(25 * time.Second), 8 * matchers.MB,
			[]matchers.Option{matchers.WindowSize(3 * time.Second), matchers.DecayLimit(3 * time.Second)}, false},
		{"aborted, though back", aborted(settling(25*time.Second), "the worker crashed"), 8 * matchers.MB, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.ReturnToBaseline(tt.within, tt.opts...)
			if ok, err := m.Match(tt.rec); ok != tt.want || err != nil {
				t.Errorf("Match = %v, %v; want %v, <nil>\n%s", ok, err, tt.want, m.FailureMessage(tt.rec))
			}
		})
	}
}

func TestReturnToBaselineIsInconclusive(t *testing.T) {
	noStop := settling(25 * time.Second)
	noStop.Events = noStop.Events[:1]
	tests := []struct {
		name string
		rec  recording.Recording
		want string
	}{
		{"without events", level(),
			`ReturnToBaseline is inconclusive: the recording has no "load-start" event; note "load-start" when the load starts and "load-stop" ` +
				`when it is over, with Recorder.Event(recording.LoadStart, "") and recording.LoadStop`},
		{"without a stop", noStop,
			`ReturnToBaseline is inconclusive: the recording has no "load-stop" event; note "load-start" when the load starts and "load-stop" ` +
				`when it is over, with Recorder.Event(recording.LoadStart, "") and recording.LoadStop`},
		{"still up, and recorded for less than the decay limit", settling(15 * time.Second),
			"ReturnToBaseline is inconclusive: not enough data (need at least 10.0 s recorded after the load stopped at 10.0 s, " +
				"to wait out allocator decay; got 5.0 s); record for longer after the load stops"},
		{"a load from the start", withEvents(level(), recording.LoadStart, 0), // and a stop, below
			"ReturnToBaseline is inconclusive: not enough data (need at least 3 samples before the load started to know the baseline; " +
				"got 0 samples); start recording before the load starts"},
	}
	tests[3].rec = withEvents(tests[3].rec, recording.LoadStop, 10*time.Second)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := matchers.ReturnToBaseline(4 * matchers.MB).Match(tt.rec)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Match error = %v\nwant %s", err, tt.want)
			}
		})
	}
	backwards := withEvents(withEvents(level(), recording.LoadStop, 2*time.Second), recording.LoadStart, 5*time.Second)
	if _, err := matchers.ReturnToBaseline(4 * matchers.MB).Match(backwards); err == nil ||
		err.Error() != "ReturnToBaseline found the load stopping at 2.0 s before it started at 5.0 s" {
		t.Errorf("Match of a load that stops before it starts: error %v", err)
	}
}
