package matchers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// staircaseChart is staircase drawn with a 32 MB budget: 21 columns, one a
// sample, 40 MB at the bottom and 140 MB at the top.
const staircaseChart = `140.0 MB ┤                  ▂▂█
         │                ▃▃███
         │              ▅▅█████
         │          ▁▁▇▇███████
         │        ▂▂███████████
         │      ▄▄█████████████
         │    ▆▆███████████████
 40.0 MB ┤▁▁▇▇█████████████████
         └────┴────────────────
          0.0 s          10.0 s`

func TestPlateauWithinMessages(t *testing.T) {
	// The staircase's figures by hand: the warm-up (before 2 s) bottoms out
	// at 40 MB and the run peaks at 140 MB at 10 s. After it, four windows of
	// 2 s peak at 70, 90, 110 and 140 MB (a rise of 70 MB) in their middles
	// at 3, 5, 7 and 9 s; the median of the six pairwise slopes is 65/6 MB/s,
	// 650 MB/min, or 86.7 MB over the 8 s judged.
	const staircaseNumbers = "from a baseline of 40.0 MB it peaked at 140.0 MB (+100.0 MB) over 10.0 s (21 samples); " +
		"after the 2.0 s warm-up the peaks of 4 windows of 2.0 s rose +70.0 MB and trend at 650.0 MB/min, +86.7 MB over the 8.0 s judged."

	tests := []struct {
		name    string
		rec     recording.Recording
		negated bool
		want    string
	}{
		{
			name: "growing",
			rec:  staircase(),
			want: "Expected memory to plateau within 32.0 MB, but it kept growing: " + staircaseNumbers + "\n" + staircaseChart,
		},
		{
			name:    "level",
			rec:     zigzag(),
			negated: true,
			want: "Expected memory not to plateau within 32.0 MB, but it did: " +
				"from a baseline of 40.0 MB it peaked at 48.0 MB (+8.0 MB) over 10.0 s (21 samples); " +
				"after the 2.0 s warm-up the peaks of 4 windows of 2.0 s rose +0.0 MB and trend at 0.0 MB/min, +0.0 MB over the 8.0 s judged.\n" +
				`72.0 MB ┤
        │
        │
        │
        │
        │ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁
        │ █ █ █ █ █ █ █ █ █ █
40.0 MB ┤▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁
        └────┴────────────────
         0.0 s          10.0 s`,
		},
		{
			name: "aborted, leading with the reason",
			rec:  aborted(staircase(), "tree RSS 140.0 MB crossed the ceiling of 128.0 MB."),
			want: "Expected memory to plateau within 32.0 MB, but the run was aborted (tree RSS 140.0 MB crossed the ceiling of 128.0 MB): " +
				staircaseNumbers + "\n" + staircaseChart,
		},
		{
			// Killed 1.5 s in, after a 1 s warm-up: too short to judge
			// the peaks, but the abort and the climb are still told.
			name: "aborted too early to judge the peaks",
			rec:  aborted(firstSeconds(ratchet(), 1500*time.Millisecond), "tree RSS 806.0 MB crossed the ceiling of 768.0 MB"),
			want: "Expected memory to plateau within 32.0 MB, but the run was aborted (tree RSS 806.0 MB crossed the ceiling of 768.0 MB): " +
				"from a baseline of 38.0 MB it peaked at 870.0 MB (+832.0 MB) over 1.5 s (16 samples), too few after the 1.0 s warm-up to judge its peaks.\n" +
				`870.0 MB ┤               █
         │             ▆▁█
         │          ▅  ███
         │        ▃ ██████
         │     ▁  █▆██████
         │     █▄▄████████
         │   █▃███████████
 38.0 MB ┤▆▁▁█████████████
         └──────────┴─────
          0.0 s      1.5 s`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.PlateauWithin(32*matchers.MB, matchers.Windows(4))
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

func TestPlateauWithinNamesWhatFailed(t *testing.T) {
	// A step up in the last of six windows lifts one peak out of six: the
	// peaks rose 60 MB, but their median slope is still level.
	step := sampled(500*time.Millisecond, 14*time.Second, func(t time.Duration) uint64 {
		if t >= 12*time.Second {
			return 100 * matchers.MB
		}
		return 40 * matchers.MB
	})
	tests := []struct {
		name string
		rec  recording.Recording
		want string
	}{
		{"a climb", staircase(), "Expected memory to plateau within 32.0 MB, but it kept growing: "},
		{"a late step", step, "Expected memory to plateau within 32.0 MB, but its peaks rose too far: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.PlateauWithin(32*matchers.MB, matchers.WarmUp(2*time.Second))
			if ok, err := m.Match(tt.rec); ok || err != nil {
				t.Fatalf("Match = %v, %v; want false, <nil>", ok, err)
			}
			if got := m.FailureMessage(tt.rec); !strings.HasPrefix(got, tt.want) {
				t.Errorf("message =\n%s\nwant it to start with\n%s", got, tt.want)
			}
		})
	}
}

func TestPlateauWithinRejectsWhatItCannotJudge(t *testing.T) {
	backwards := staircase()
	backwards.Samples[2].At = 2 * time.Second
	tests := []struct {
		name   string
		actual any
		opts   []matchers.Option
		want   string
	}{
		{name: "not a recording", actual: "rss.csv",
			want: "PlateauWithin expects a recording.Recording or *recording.Recording, but got string"},
		{name: "a slice of samples", actual: staircase().Samples,
			want: "PlateauWithin expects a recording.Recording or *recording.Recording, but got []recording.Sample"},
		{name: "nil", actual: nil,
			want: "PlateauWithin expects a recording.Recording or *recording.Recording, but got nil"},
		{name: "a nil pointer", actual: (*recording.Recording)(nil),
			want: "PlateauWithin got a nil *recording.Recording"},
		{name: "no samples", actual: recording.Recording{Name: "never sampled"},
			want: "PlateauWithin cannot judge a recording without samples"},
		{name: "no samples, though aborted", actual: aborted(recording.Recording{}, "the worker exited at start"),
			want: "PlateauWithin cannot judge a recording without samples"},
		{name: "samples out of order", actual: backwards,
			want: "PlateauWithin cannot judge a recording whose samples go back in time: sample 3 at 1.5 s follows one at 2.0 s"},
		{name: "too few windows", actual: staircase(), opts: []matchers.Option{matchers.Windows(2)},
			want: "PlateauWithin needs at least 3 windows to see a trend, but Windows(2) was given"},
		{name: "a negative warm-up", actual: staircase(), opts: []matchers.Option{matchers.WarmUp(-time.Second)},
			want: "PlateauWithin cannot leave out a negative warm-up, but WarmUp(-1s) was given"},
		{name: "one sample", actual: firstSeconds(staircase(), 0),
			want: "PlateauWithin is inconclusive: not enough data (need at least 2 samples in each of 3 of the 6 windows after the 1.0 s warm-up; " +
				"got 0 samples over 0.0 s after it, of 1 recorded over 0.0 s, and 0 windows held 2 or more); record for longer or sample more often"},
		{name: "three seconds at 2 Hz", actual: firstSeconds(staircase(), 3*time.Second),
			want: "PlateauWithin is inconclusive: not enough data (need at least 2 samples in each of 3 of the 6 windows after the 1.0 s warm-up; " +
				"got 5 samples over 2.0 s after it, of 7 recorded over 3.0 s, and 0 windows held 2 or more); record for longer or sample more often"},
		{name: "a warm-up as long as the run", actual: staircase(), opts: []matchers.Option{matchers.WarmUp(10 * time.Second)},
			want: "PlateauWithin is inconclusive: not enough data (need at least 2 samples in each of 3 of the 6 windows after the 10.0 s warm-up; " +
				"got 1 sample over 0.0 s after it, of 21 recorded over 10.0 s, and 0 windows held 2 or more); record for longer or sample more often"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := matchers.PlateauWithin(32*matchers.MB, tt.opts...).Match(tt.actual)
			if ok || err == nil || err.Error() != tt.want {
				t.Errorf("Match = %v, %v\nwant false, %s", ok, err, tt.want)
			}
		})
	}
}

func TestPlateauWithinVerdicts(t *testing.T) {
	type verdict struct {
		name   string
		rec    recording.Recording
		budget uint64
		want   bool
	}
	tests := []verdict{
		{"a flat sawtooth 128 MB deep", flatSawtooth(), 32 * matchers.MB, true},
		{"ratcheting peaks, +128 MB a retry every 250 ms", ratchet(), 32 * matchers.MB, false},
		{"the flat sawtooth, aborted", aborted(flatSawtooth(), "the scenario timed out"), 32 * matchers.MB, false},
	}
	// Many seeds rather than one, so that no lucky draw of noise decides.
	for seed := uint64(1); seed <= 20; seed++ {
		tests = append(tests,
			verdict{fmt.Sprintf("a 20 MB/min leak with 4 MB noise, seed %d", seed), linearLeak(seed), 8 * matchers.MB, false},
			verdict{fmt.Sprintf("a plateau with 5 MB noise in 4 KiB pages, seed %d", seed), noisyPlateau(seed), 16 * matchers.MB, true},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.PlateauWithin(tt.budget)
			for _, actual := range []any{tt.rec, &tt.rec} {
				ok, err := m.Match(actual)
				if err != nil || ok != tt.want {
					t.Errorf("Match(%T) = %v, %v; want %v, <nil>\n%s", actual, ok, err, tt.want, m.FailureMessage(actual))
				}
			}
		})
	}
}

func TestPlateauWithinIsBlindToAConstantShift(t *testing.T) {
	series := map[string]recording.Recording{
		"staircase":     staircase(),
		"flat sawtooth": flatSawtooth(),
		"ratchet":       ratchet(),
		"linear leak":   linearLeak(7),
		"noisy plateau": noisyPlateau(7),
		"late step": sampled(500*time.Millisecond, 14*time.Second, func(t time.Duration) uint64 {
			return 40*matchers.MB + 60*matchers.MB*uint64(t/(12*time.Second))
		}),
	}
	for name, rec := range series {
		for _, budget := range []uint64{8 * matchers.MB, 32 * matchers.MB} {
			m := matchers.PlateauWithin(budget)
			want, err := m.Match(rec)
			if err != nil {
				t.Fatalf("%s: Match: %v", name, err)
			}
			for _, d := range []uint64{1, 4 * matchers.KiB, 1 * matchers.GB, 3*matchers.GiB + 7} {
				if got, err := m.Match(shifted(rec, d)); got != want || err != nil {
					t.Errorf("%s within %d bytes, raised by %d bytes: Match = %v, %v; unshifted it was %v", name, budget, d, got, err, want)
				}
			}
		}
	}
}

func TestPlateauWithinInAGomegaAssertion(t *testing.T) {
	var failures []string
	g := gomega.NewGomega(func(message string, _ ...int) { failures = append(failures, message) })
	crossed := aborted(ratchet(), "tree RSS 4.3 GB crossed the 4.0 GiB ceiling")

	g.Expect(crossed).NotTo(matchers.PlateauWithin(32 * matchers.MB))
	g.Expect(flatSawtooth()).To(matchers.PlateauWithin(32 * matchers.MB))
	if len(failures) != 0 {
		t.Fatalf("assertions that hold failed: %q", failures)
	}

	g.Expect(crossed).To(matchers.PlateauWithin(32 * matchers.MB))
	g.Expect(ratchet()).To(matchers.PlateauWithin(32 * matchers.MB))
	g.Expect(flatSawtooth()).NotTo(matchers.PlateauWithin(32 * matchers.MB))
	g.Expect(recording.Recording{}).NotTo(matchers.PlateauWithin(32 * matchers.MB))
	want := []string{
		"Expected memory to plateau within 32.0 MB, but the run was aborted (tree RSS 4.3 GB crossed the 4.0 GiB ceiling): ",
		"Expected memory to plateau within 32.0 MB, but it kept growing: ",
		"Expected memory not to plateau within 32.0 MB, but it did: ",
		"PlateauWithin cannot judge a recording without samples",
	}
	if len(failures) != len(want) {
		t.Fatalf("got %d failures, want %d: %q", len(failures), len(want), failures)
	}
	for i := range want {
		if !strings.HasPrefix(failures[i], want[i]) {
			t.Errorf("failure %d =\n%s\nwant it to start with\n%s", i, failures[i], want[i])
		}
	}
}
