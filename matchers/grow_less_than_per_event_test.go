package matchers_test

import (
	"testing"
	"time"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

func TestGrowLessThanPerEventMessage(t *testing.T) {
	// A retry at every whole second: climb's floors, reached at 3, 4, ...
	// 14 s, had seen 3, 4, ... 14 retries and stand 10 MB apart, so the
	// floor grew 10 MB per retry, at both bounds too.
	m := matchers.GrowLessThanPerEvent(1*matchers.MB, "retry")
	rec := withEvents(climb(), "retry", everySecond(1, 15)...)
	if ok, err := m.Match(rec); ok || err != nil {
		t.Fatalf("Match = %v, %v; want false, <nil>", ok, err)
	}
	want := `Expected memory to grow less than 1.0 MB per "retry", but it grew more: ` + climbFigures +
		`; after the 3.0 s warm-up the floor of 12 windows of 1.0 s grew +10.0 MB per "retry" (95 %: 10.0 to 10.0 MB) over 15 events, 12 different counts of them.` +
		"\n" + climbChart
	if got := m.FailureMessage(rec); got != want {
		t.Errorf("message =\n%s\nwant\n%s", got, want)
	}
}

func TestGrowLessThanPerEventVerdicts(t *testing.T) {
	// level does not grow whatever happens; climb grows 10 MB a second,
	// so with a retry every half second it grows 5 MB per retry.
	tests := []struct {
		name  string
		rec   recording.Recording
		limit uint64
		want  bool
	}{
		{"level, a retry a second", withEvents(level(), "retry", everySecond(1, 15)...), 1 * matchers.MB, true},
		{"10 MB per retry within 11 MB", withEvents(climb(), "retry", everySecond(1, 15)...), 11 * matchers.MB, true},
		{"5 MB per retry against 4 MB", withEvents(climb(), "retry", halfSeconds(30)...), 4 * matchers.MB, false},
		{"other events do not count", withEvents(withEvents(level(), "retry", everySecond(1, 15)...), "job", halfSeconds(30)...), 1 * matchers.MB, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.GrowLessThanPerEvent(tt.limit, "retry")
			if ok, err := m.Match(tt.rec); ok != tt.want || err != nil {
				t.Errorf("Match = %v, %v; want %v, <nil>\n%s", ok, err, tt.want, m.FailureMessage(tt.rec))
			}
		})
	}
}

func TestGrowLessThanPerEventIsInconclusiveWithoutEvents(t *testing.T) {
	tests := []struct {
		name string
		rec  recording.Recording
		want string
	}{
		{"no events", climb(),
			`GrowLessThanPerEvent is inconclusive: not enough data (need at least 3 different counts of events at the floors of the windows ` +
				`after the 3.0 s warm-up; got 1, from 0 events in all); drive more "retry" events, or record for longer`},
		{"one retry after the warm-up", withEvents(climb(), "retry", 9*time.Second),
			`GrowLessThanPerEvent is inconclusive: not enough data (need at least 3 different counts of events at the floors of the windows ` +
				`after the 3.0 s warm-up; got 2, from 1 event in all); drive more "retry" events, or record for longer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := matchers.GrowLessThanPerEvent(1*matchers.MB, "retry").Match(tt.rec)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Match error = %v\nwant %s", err, tt.want)
			}
		})
	}
	if _, err := matchers.GrowLessThanPerEvent(1*matchers.MB, "").Match(climb()); err == nil ||
		err.Error() != "GrowLessThanPerEvent needs the name of an event, but was given an empty one" {
		t.Errorf("Match with no event name: error %v", err)
	}
}

// halfSeconds returns the first n multiples of half a second, from 0.5 s.
func halfSeconds(n int) []time.Duration {
	at := make([]time.Duration, n)
	for i := range at {
		at[i] = time.Duration(i+1) * 500 * time.Millisecond
	}
	return at
}
