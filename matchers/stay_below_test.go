package matchers_test

import (
	"testing"
	"time"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

func TestStayBelowMessages(t *testing.T) {
	tests := []struct {
		name    string
		rec     recording.Recording
		limit   uint64
		negated bool
		want    string
	}{
		{
			// The staircase is at 100 MB or more from 6 s on: 9 samples.
			name:  "crossing the limit",
			rec:   staircase(),
			limit: 100 * matchers.MB,
			want: "Expected memory to stay below 100.0 MB, but it did not: " +
				"it peaked at 140.0 MB at 10.0 s, 40.0 MB above the limit; 9 of 21 samples over 10.0 s were at or above it.\n" +
				`140.0 MB ┤                  ▂▂█
         │                ▃▃███
         │              ▅▅█████
         │          ▁▁▇▇███████
         │        ▂▂███████████
         │      ▄▄█████████████
         │    ▆▆███████████████
 40.0 MB ┤▁▁▇▇█████████████████
         └─────────────────────
          0.0 s          10.0 s`,
		},
		{
			name:    "below the limit",
			rec:     staircase(),
			limit:   200 * matchers.MB,
			negated: true,
			want: "Expected memory not to stay below 200.0 MB, but it did: " +
				"it peaked at 140.0 MB at 10.0 s, 60.0 MB below the limit; 0 of 21 samples over 10.0 s were at or above it.\n" +
				`200.0 MB ┤
         │
         │
         │                ▁▁▄▄█
         │            ▁▁▅▅█████
         │        ▁▁▅▅█████████
         │    ▁▁▅▅█████████████
 40.0 MB ┤▁▁▅▅█████████████████
         └─────────────────────
          0.0 s          10.0 s`,
		},
		{
			name:  "aborted below the limit, leading with the reason",
			rec:   aborted(firstSeconds(zigzag(), time.Second), "the scenario timed out after 1 s"),
			limit: 200 * matchers.MB,
			want: "Expected memory to stay below 200.0 MB, but the run was aborted (the scenario timed out after 1 s): " +
				"it peaked at 48.0 MB at 0.5 s, 152.0 MB below the limit; 0 of 3 samples over 1.0 s were at or above it.\n" +
				`200.0 MB ┤
         │
         │
         │
         │
         │
         │
 40.0 MB ┤▁▄▁
         └───
          0.0 s 1.0 s`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.StayBelow(tt.limit)
			ok, err := m.Match(tt.rec)
			if err != nil || ok == !tt.negated {
				t.Fatalf("Match = %v, %v; want %v, <nil>", ok, err, tt.negated)
			}
			got := m.FailureMessage(tt.rec)
			if tt.negated {
				got = m.NegatedFailureMessage(tt.rec)
			}
			if got != tt.want {
				t.Errorf("message =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestStayBelowVerdicts(t *testing.T) {
	tests := []struct {
		name  string
		rec   recording.Recording
		limit uint64
		want  bool
	}{
		{"well below", flatSawtooth(), 512 * matchers.MB, true},
		{"a byte below", staircase(), 140*matchers.MB + 1, true},
		{"touching the limit", staircase(), 140 * matchers.MB, false},
		{"the warm-up counts", sampled(100*time.Millisecond, 10*time.Second, func(t time.Duration) uint64 {
			if t == 200*time.Millisecond {
				return 600 * matchers.MB
			}
			return 40 * matchers.MB
		}), 512 * matchers.MB, false},
		{"the ratchet", ratchet(), 4 * matchers.GiB, false},
		{"a single sample below", firstSeconds(staircase(), 0), 64 * matchers.MB, true},
		{"aborted, though below", aborted(flatSawtooth(), "the worker crashed"), 512 * matchers.MB, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := matchers.StayBelow(tt.limit).Match(tt.rec)
			if err != nil || ok != tt.want {
				t.Errorf("Match = %v, %v; want %v, <nil>", ok, err, tt.want)
			}
			if ok, err := matchers.StayBelow(tt.limit).Match(&tt.rec); err != nil || ok != tt.want {
				t.Errorf("Match of a pointer = %v, %v; want %v, <nil>", ok, err, tt.want)
			}
		})
	}
}

func TestStayBelowRejectsWhatItCannotJudge(t *testing.T) {
	tests := []struct {
		name   string
		actual any
		want   string
	}{
		{"not a recording", 42, "StayBelow expects a recording.Recording or *recording.Recording, but got int"},
		{"nil", nil, "StayBelow expects a recording.Recording or *recording.Recording, but got nil"},
		{"a nil pointer", (*recording.Recording)(nil), "StayBelow got a nil *recording.Recording"},
		{"no samples", recording.Recording{}, "StayBelow cannot judge a recording without samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := matchers.StayBelow(matchers.GB).Match(tt.actual)
			if ok || err == nil || err.Error() != tt.want {
				t.Errorf("Match = %v, %v\nwant false, %s", ok, err, tt.want)
			}
		})
	}
}
