package matchers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// climbChart is climb drawn with a 32 MB budget: 60 columns of a quarter
// second (the last holds two samples), 40 MB at the bottom and 190 MB at
// the top, the warm-up ending at 3 s.
const climbChart = `190.0 MB ┤                                                        ▄▄▄█
         │                                                ▃▃▃▃████████
         │                                        ▃▃▃▃▇▇▇▇████████████
         │                                ▃▃▃▃▇▇▇▇████████████████████
         │                        ▂▂▂▂▆▆▆▆████████████████████████████
         │                ▂▂▂▂▆▆▆▆████████████████████████████████████
         │        ▁▁▁▁▆▆▆▆████████████████████████████████████████████
 40.0 MB ┤▁▁▁▁▅▅▅▅████████████████████████████████████████████████████
         └────────────┴───────────────────────────────────────────────
          0.0 s       ↑ warm-up ends                            15.0 s`

// climbFigures are climb's figures of the whole run: the warm-up (before
// 3 s) bottoms out at 40 MB, and the run peaks at 190 MB at 15 s.
const climbFigures = "from a baseline of 40.0 MB it peaked at 190.0 MB (+150.0 MB) over 15.0 s (61 samples)"

// step holds 40 MB and jumps to 100 MB at 12 s, sampled every 250 ms for
// 15 s: a step in the last quarter of the judged time.
func step() recording.Recording {
	return sampled(250*time.Millisecond, 15*time.Second, func(t time.Duration) uint64 {
		if t >= 12*time.Second {
			return 100 * matchers.MB
		}
		return 40 * matchers.MB
	})
}

// held climbs within the first second from 40 MB to a sawtooth that
// alternates between 140 MB and 148 MB every 250 ms for the rest of 15 s:
// reference cycles behind a lagging collector, whose peaks are level but
// whose floor stays 100 MB above where the load began.
func held() recording.Recording {
	return sampled(250*time.Millisecond, 15*time.Second, func(t time.Duration) uint64 {
		if t < time.Second {
			return 40 * matchers.MB
		}
		return 140*matchers.MB + 8*matchers.MB*uint64(t/(250*time.Millisecond)%2)
	})
}

func TestPlateauWithinMessages(t *testing.T) {
	// climb by hand: after the 3 s warm-up, twelve windows of a second
	// peak at 70, 80, ... 170 and 190 MB. The early level is the median of
	// the first three, 80 MB, the late one of the last three, 170 MB: a
	// rise of 90 MB with no noise around the line. Every pair of peaks but
	// those with the last climbs 600 MB/min, so the slope and both bounds
	// are 600 MB/min, 120 MB over the 12 s judged: more than half the
	// budget.
	climbNumbers := climbFigures + "; after the 3.0 s warm-up the peaks of 12 windows of 1.0 s rose +90.0 MB from their early level of 80.0 MB " +
		"(noise margin 0.0 MB, 32.0 MB allowed) and trend at 600.0 MB/min (95 %: 600.0 to 600.0 MB/min), +120.0 MB over the 12.0 s judged (16.0 MB allowed); " +
		"the floor of the last 3 windows settled at 170.0 MB, +130.0 MB above the baseline (noise margin 0.0 MB, 32.0 MB allowed)."
	tests := []struct {
		name    string
		rec     recording.Recording
		negated bool
		want    string
	}{
		{
			name: "growing",
			rec:  climb(),
			want: "Expected memory to plateau within 32.0 MB, but it kept growing, to +130.0 MB above its baseline of 40.0 MB: " + climbNumbers + "\n" + climbChart,
		},
		{
			name: "a late step",
			rec:  step(),
			// The last three windows are at 100 MB, the first three at
			// 40 MB: the peaks rose 60 MB though most pairs of them are
			// level, so the slope is nil and only its upper bound rises,
			// the more as residuals on either side of a step look like
			// the strongest autocorrelation.
			want: "Expected memory to plateau within 32.0 MB, but its peaks rose too far, to +60.0 MB above its baseline of 40.0 MB: " +
				"from a baseline of 40.0 MB it peaked at 100.0 MB (+60.0 MB) over 15.0 s (61 samples); " +
				"after the 3.0 s warm-up the peaks of 12 windows of 1.0 s rose +60.0 MB from their early level of 40.0 MB " +
				"(noise margin 0.0 MB, 32.0 MB allowed) and trend at 0.0 MB/min (95 %, widened for the windows' autocorrelation of 0.95: 0.0 to 582.2 MB/min), " +
				"+0.0 MB over the 12.0 s judged (16.0 MB allowed); " +
				"the floor of the last 3 windows settled at 100.0 MB, +60.0 MB above the baseline (noise margin 0.0 MB, 32.0 MB allowed).\n" +
				`100.0 MB ┤                                                ████████████
         │                                                ████████████
         │                                                ████████████
         │                                                ████████████
         │                                                ████████████
         │                                                ████████████
         │                                                ████████████
 40.0 MB ┤▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁████████████
         └────────────┴───────────────────────────────────────────────
          0.0 s       ↑ warm-up ends                            15.0 s`,
		},
		{
			// Within the 3 s warm-up memory climbed 100 MB and stayed:
			// the peaks after it are level, the floor is not.
			name: "held high",
			rec:  held(),
			want: "Expected memory to plateau within 32.0 MB of where the load began, but it settled +100.0 MB above its baseline of 40.0 MB and stayed there: " +
				"from a baseline of 40.0 MB it peaked at 148.0 MB (+108.0 MB) over 15.0 s (61 samples); " +
				"after the 3.0 s warm-up the peaks of 12 windows of 1.0 s rose +0.0 MB from their early level of 148.0 MB (noise margin 0.0 MB, 32.0 MB allowed) and trend at 0.0 MB/min (95 %: 0.0 to 0.0 MB/min), +0.0 MB over the 12.0 s judged (16.0 MB allowed); " +
				"the floor of the last 3 windows settled at 140.0 MB, +100.0 MB above the baseline (noise margin 0.0 MB, 32.0 MB allowed).\n" +
				`148.0 MB ┤    ▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█▃█
         │    ████████████████████████████████████████████████████████
         │    ████████████████████████████████████████████████████████
         │    ████████████████████████████████████████████████████████
         │    ████████████████████████████████████████████████████████
         │    ████████████████████████████████████████████████████████
         │    ████████████████████████████████████████████████████████
 40.0 MB ┤▁▁▁▁████████████████████████████████████████████████████████
         └────────────┴───────────────────────────────────────────────
          0.0 s       ↑ warm-up ends                            15.0 s`,
		},
		{
			name:    "level",
			rec:     level(),
			negated: true,
			want: "Expected memory not to plateau within 32.0 MB, but it did: " +
				"from a baseline of 40.0 MB it peaked at 48.0 MB (+8.0 MB) over 15.0 s (61 samples); " +
				"after the 3.0 s warm-up the peaks of 12 windows of 1.0 s rose +0.0 MB from their early level of 48.0 MB " +
				"(noise margin 0.0 MB, 32.0 MB allowed) and trend at 0.0 MB/min (95 %: 0.0 to 0.0 MB/min), +0.0 MB over the 12.0 s judged (16.0 MB allowed); " +
				"the floor of the last 3 windows settled at 40.0 MB, +0.0 MB above the baseline (noise margin 0.0 MB, 32.0 MB allowed).\n" +
				`72.0 MB ┤
        │
        │
        │
        │
        │ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁ ▁
        │ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █ █
40.0 MB ┤▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█▁█
        └────────────┴───────────────────────────────────────────────
         0.0 s       ↑ warm-up ends                            15.0 s`,
		},
		{
			name: "aborted, leading with the reason",
			rec:  aborted(climb(), "tree RSS 190.0 MB crossed the ceiling of 128.0 MB."),
			want: "Expected memory to plateau within 32.0 MB, but the run was aborted (tree RSS 190.0 MB crossed the ceiling of 128.0 MB): " +
				climbNumbers + "\n" + climbChart,
		},
		{
			// Killed 1.5 s in: too short to judge the peaks after the 1 s
			// warm-up, but the abort and the climb are still told.
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
			m := matchers.PlateauWithin(32 * matchers.MB)
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

func TestPlateauWithinRejectsWhatItCannotJudge(t *testing.T) {
	backwards := climb()
	backwards.Samples[2].At = 2 * time.Second
	tests := []struct {
		name   string
		actual any
		opts   []matchers.Option
		want   string
	}{
		{name: "not a recording", actual: "rss.csv",
			want: "PlateauWithin expects a recording.Recording or *recording.Recording, but got string"},
		{name: "a slice of samples", actual: climb().Samples,
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
			want: "PlateauWithin cannot judge a recording whose samples go back in time: sample 3 at 0.8 s follows one at 2.0 s"},
		{name: "too few windows", actual: climb(), opts: []matchers.Option{matchers.Windows(5)},
			want: "PlateauWithin needs at least 6 windows to see a trend, but Windows(5) was given"},
		{name: "a negative warm-up", actual: climb(), opts: []matchers.Option{matchers.WarmUp(-time.Second)},
			want: "PlateauWithin cannot leave out a negative warm-up, but WarmUp(-1s) was given"},
		{name: "an option it does not use", actual: climb(), opts: []matchers.Option{matchers.DecayLimit(time.Second)},
			want: "PlateauWithin does not use the option DecayLimit; it takes WarmUp, Windows, WindowSize, Confidence"},
		{name: "one sample", actual: firstSeconds(climb(), 0),
			want: "PlateauWithin is inconclusive: not enough data (need at least 3 samples in each of 6 windows after the 1.0 s warm-up; " +
				"got 0 samples over 0.0 s after it, of 1 recorded over 0.0 s, and 0 windows held 3 or more); record for longer or sample more often"},
		{name: "five seconds at 4 Hz", actual: firstSeconds(climb(), 5*time.Second),
			want: "PlateauWithin is inconclusive: not enough data (need at least 3 samples in each of 6 windows after the 1.0 s warm-up; " +
				"got 17 samples over 4.0 s after it, of 21 recorded over 5.0 s, and 5 windows held 3 or more); record for longer or sample more often"},
		{name: "windows too long for the run", actual: climb(), opts: []matchers.Option{matchers.WindowSize(3 * time.Second)},
			want: "PlateauWithin is inconclusive: not enough data (need at least 6 windows of 3.0 s after the 3.0 s warm-up; " +
				"got 12.0 s after it, of 15.0 s recorded); record for longer or sample more often"},
		{name: "a warm-up as long as the run", actual: climb(), opts: []matchers.Option{matchers.WarmUp(15 * time.Second)},
			want: "PlateauWithin is inconclusive: not enough data (need at least 3 samples in each of 6 windows after the 15.0 s warm-up; " +
				"got 1 sample over 0.0 s after it, of 61 recorded over 15.0 s, and 0 windows held 3 or more); record for longer or sample more often"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := matchers.PlateauWithin(32*matchers.MB, tt.opts...)
			ok, err := m.Match(tt.actual)
			if ok || err == nil || err.Error() != tt.want {
				t.Errorf("Match = %v, %v\nwant false, %s", ok, err, tt.want)
			}
			// The negated form fails just the same: too little data is
			// never a pass.
			if ok, err := gomegaNot(m, tt.actual); ok || err == nil {
				t.Errorf("the negated form = %v, %v; want an error too", ok, err)
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
		{"a late step of 60 MB, within 64 MB", step(), 64 * matchers.MB, true},
	}
	// Many seeds rather than one, so that no lucky draw of noise decides.
	for seed := uint64(1); seed <= 20; seed++ {
		tests = append(tests,
			verdict{fmt.Sprintf("a 40 MB/min leak with 4 MB noise, seed %d", seed), linearLeak(seed, 40), 8 * matchers.MB, false},
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
		"Expected memory to plateau within 32.0 MB, but it kept growing, to +4352.0 MB above its baseline of 38.0 MB: ",
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

// TestPlateauWithinFromAnExplicitWarmUp: a warm-up the spec chose says
// where its load begins, so the level is measured from what the load held
// then, its early peaks. held climbed within the warm-up and stays. drifted
// is two pool children whose pauses coincided at first and then drifted
// apart: its floor rises 100 MB, but only within the band its peaks already
// spanned, and it passes. raised keeps 100 MB more from 8 s on, floor and
// peaks alike, and fails.
func TestPlateauWithinFromAnExplicitWarmUp(t *testing.T) {
	m := matchers.PlateauWithin(32*matchers.MB, matchers.WarmUp(3*time.Second))
	if ok, err := m.Match(held()); !ok || err != nil {
		t.Errorf("held failed from an explicit warm-up: %v\n%s", err, m.FailureMessage(held()))
	}
	sawtooth := func(low, high func(time.Duration) uint64) recording.Recording {
		return sampled(250*time.Millisecond, 15*time.Second, func(t time.Duration) uint64 {
			if t/(250*time.Millisecond)%2 == 1 {
				return high(t)
			}
			return low(t)
		})
	}
	after8s := func(before, after uint64) func(time.Duration) uint64 {
		return func(t time.Duration) uint64 {
			if t >= 8*time.Second {
				return after
			}
			return before
		}
	}
	drifted := sawtooth(after8s(40*matchers.MB, 140*matchers.MB), after8s(148*matchers.MB, 148*matchers.MB))
	if ok, err := m.Match(drifted); !ok || err != nil {
		t.Errorf("a floor that rose within the early peaks failed: %v\n%s", err, m.FailureMessage(drifted))
	}
	raised := sawtooth(after8s(40*matchers.MB, 140*matchers.MB), after8s(148*matchers.MB, 248*matchers.MB))
	// Its floor, 140 MB, is still below the early peaks: the peaks tell
	// what it kept.
	expectFailure(t, m, raised, "Expected memory to plateau within 32.0 MB, but its peaks rose too far: "+
		"from a baseline of 40.0 MB it peaked at 248.0 MB (+208.0 MB) over 15.0 s (61 samples); "+
		"after the 3.0 s warm-up the peaks of 12 windows of 1.0 s rose +100.0 MB from their early level of 148.0 MB (noise margin 0.0 MB, 32.0 MB allowed) and trend at 600.0 MB/min (95 %: 0.0 to 857.1 MB/min), +120.0 MB over the 12.0 s judged (16.0 MB allowed); "+
		"the floor of the last 3 windows settled at 140.0 MB, -8.0 MB above the early peaks (noise margin 48.8 MB, 32.0 MB allowed).")
}

// expectFailure fails t unless m fails rec with want as the first line of
// its message, the line above the chart.
func expectFailure(t *testing.T, m types.GomegaMatcher, rec recording.Recording, want string) {
	t.Helper()
	if ok, err := m.Match(rec); ok || err != nil {
		t.Fatalf("%s passed: %v", rec.Name, err)
	}
	if got, _, _ := strings.Cut(m.FailureMessage(rec), "\n"); got != want {
		t.Errorf("message =\n%s\nwant\n%s", got, want)
	}
}

// busy is a worker whose jobs run back to back from 1 s to 11.5 s, each
// holding 67 MB while it runs, so that no sample falls between two of them,
// and which then holds idle what it kept, sampled every 100 ms for 12 s.
func busy(kept uint64) recording.Recording {
	return sampled(100*time.Millisecond, 12*time.Second, func(t time.Duration) uint64 {
		switch {
		case t < time.Second:
			return 30 * matchers.MB
		case t < 11500*time.Millisecond:
			return 97 * matchers.MB
		default:
			return 30*matchers.MB + kept
		}
	})
}

func TestPlateauWithinReadsItsLevelIdleAfterTheLoad(t *testing.T) {
	m := matchers.PlateauWithin(32 * matchers.MB)
	// Without the mark, the floor of the last windows is the jobs in
	// flight: the worker seems to have settled 67 MB up.
	if ok, err := m.Match(busy(0)); ok || err != nil {
		t.Errorf("busy, unmarked, passed: %v", err)
	}
	clean := withEvents(busy(0), recording.IdleTail, 11500*time.Millisecond)
	if ok, err := m.Match(clean); !ok || err != nil {
		t.Errorf("busy, idle from 11.5 s at its baseline, failed: %v\n%s", err, m.FailureMessage(clean))
	}
	// A LoadStop marks the same moment.
	if ok, err := m.Match(withEvents(busy(0), recording.LoadStop, 11500*time.Millisecond)); !ok || err != nil {
		t.Errorf("busy, idle after a LoadStop, failed: %v", err)
	}
	kept := withEvents(busy(50*matchers.MB), recording.IdleTail, 11500*time.Millisecond)
	expectFailure(t, m, kept, "Expected memory to plateau within 32.0 MB of where the load began, but it settled +50.0 MB above its baseline of 30.0 MB and stayed there: "+
		"from a baseline of 30.0 MB it peaked at 97.0 MB (+67.0 MB) over 12.0 s (121 samples); "+
		"after the 2.4 s warm-up the peaks of 12 windows of 0.8 s rose +0.0 MB from their early level of 97.0 MB (noise margin 0.0 MB, 32.0 MB allowed) and trend at 0.0 MB/min (95 %: 0.0 to 0.0 MB/min), +0.0 MB over the 9.6 s judged (16.0 MB allowed); "+
		"the worker idle after its load, from 11.5 s, settled at 80.0 MB, +50.0 MB above the baseline (noise margin 0.0 MB, 32.0 MB allowed).")
	// Too few samples idle to read a level from: the last windows' floor.
	short := withEvents(busy(0), recording.IdleTail, 11700*time.Millisecond)
	if ok, _ := m.Match(short); ok {
		t.Error("busy, with 4 samples idle, read its level from them")
	}
}
