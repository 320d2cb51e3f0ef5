package matchers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// minute is a Plan of a minute with the default six looks, at 10, 20, ...
// 60 s; its warm-up is 12 s, a fifth of the minute, at every look.
var minute = matchers.Plan{Max: time.Minute}

// at returns rec as a spec polling it would have seen it at time t.
func at(rec recording.Recording, t time.Duration) recording.Recording {
	rec = firstSeconds(rec, t)
	rec.Duration = t
	return rec
}

// firstDecision polls rec sample by sample, as Watch would, and returns
// the first decision that is not Continue.
func firstDecision(t *testing.T, rec recording.Recording, plan matchers.Plan, ms ...types.GomegaMatcher) matchers.Decision {
	t.Helper()
	for _, s := range rec.Samples {
		d, err := matchers.Decide(at(rec, s.At), plan, ms...)
		if err != nil {
			t.Fatalf("Decide at %v: %v", s.At, err)
		}
		if d.Verdict != matchers.Undecided {
			return d
		}
	}
	return matchers.Decision{}
}

func TestDecideStopsAtTheFirstLookWithEvidence(t *testing.T) {
	fast := sampled(100*time.Millisecond, time.Minute, func(t time.Duration) uint64 {
		return 100*matchers.MB + uint64(600*float64(matchers.MB)*t.Minutes())
	})
	flat := sampled(100*time.Millisecond, time.Minute, func(time.Duration) uint64 { return 100 * matchers.MB })
	high := sampled(100*time.Millisecond, time.Minute, func(t time.Duration) uint64 {
		if t < time.Second {
			return 100 * matchers.MB
		}
		return 200*matchers.MB + 8*matchers.MB*uint64(t/(250*time.Millisecond)%2)
	})
	tests := []struct {
		name    string
		rec     recording.Recording
		verdict matchers.Verdict
		look    int
		prefix  string
	}{
		// At 10 s the 12 s warm-up has not ended: nothing to judge yet.
		// At 20 s, 600 MB/min over the 8 s judged is 80 MB, far beyond
		// half the budget even at 99.9 %.
		{"a leak of 600 MB/min", fast, matchers.Failed, 2, "Expected memory to plateau within 32.0 MB, but it kept growing, to +187.0 MB above its baseline of 100.0 MB: "},
		// A level line is level at any confidence: projected over the
		// 48 s the minute will judge, its upper bound adds nothing.
		{"a level line", flat, matchers.Passed, 2, "memory did plateau within 32.0 MB: "},
		// Level peaks, but a floor 100 MB above where the load began:
		// no interim look stops on it, as a lagging collector may still
		// give it back, and the last look fails it as a run of fixed
		// length would.
		{"a level held high", high, matchers.Failed, 6, "Expected memory to plateau within 32.0 MB of where the load began, but it settled +100.0 MB above its baseline of 100.0 MB and stayed there: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := firstDecision(t, tt.rec, minute, matchers.PlateauWithin(32*matchers.MB))
			if d.Verdict != tt.verdict || d.Look != tt.look || d.At != time.Duration(tt.look)*10*time.Second ||
				!strings.HasPrefix(d.Message, tt.prefix) {
				t.Errorf("Decision = %v at look %d (%v): %s\nwant %v at look %d, starting %q", d.Verdict, d.Look, d.At, d.Message, tt.verdict, tt.look, tt.prefix)
			}
		})
	}
}

func TestDecideWaitsForTheLastLookWithStayBelowAlone(t *testing.T) {
	// A limit not reached at an interim look may be reached before Max:
	// with no matcher projecting the trend, only the last look passes.
	d := firstDecision(t, level(), matchers.Plan{Max: 15 * time.Second, Looks: 3}, matchers.StayBelow(512*matchers.MB))
	if d.Verdict != matchers.Passed || d.Look != 3 || d.At != 15*time.Second {
		t.Errorf("Decision = %+v; want a pass at the last look, 15 s", d)
	}
	// Beside PlateauWithin, whose trend is projected to Max, an interim
	// look may pass.
	d = firstDecision(t, level(), matchers.Plan{Max: 15 * time.Second, Looks: 3}, matchers.PlateauWithin(32*matchers.MB), matchers.StayBelow(512*matchers.MB))
	if d.Verdict != matchers.Passed || d.Look != 2 {
		t.Errorf("Decision = %+v; want a pass at the second look", d)
	}
}

func TestDecideStopsAtOnceWhenABoundIsCrossed(t *testing.T) {
	rec := sampled(100*time.Millisecond, time.Minute, func(t time.Duration) uint64 {
		if t >= 14300*time.Millisecond {
			return 600 * matchers.MB
		}
		return 100 * matchers.MB
	})
	d := firstDecision(t, rec, minute, matchers.PlateauWithin(32*matchers.MB), matchers.StayBelow(512*matchers.MB))
	if d.Verdict != matchers.Failed || d.Look != 0 || d.At != 14300*time.Millisecond ||
		!strings.HasPrefix(d.Message, "Expected memory to stay below 512.0 MB, but it did not: it peaked at 600.0 MB at 14.3 s") {
		t.Errorf("Decision = %+v; want a failure of StayBelow at 14.3 s", d)
	}

	killed := aborted(at(level(), 4*time.Second), "tree RSS 4.3 GB crossed the 4.0 GiB ceiling")
	d, err := matchers.Decide(killed, minute, matchers.PlateauWithin(32*matchers.MB))
	if err != nil || d.Verdict != matchers.Failed || d.At != 4*time.Second ||
		!strings.HasPrefix(d.Message, "Expected memory to plateau within 32.0 MB, but the run was aborted (tree RSS 4.3 GB crossed the 4.0 GiB ceiling): ") {
		t.Errorf("Decide of an aborted run = %+v, %v; want a failure that leads with the reason", d, err)
	}
}

func TestDecideGivesTheMatchersOwnVerdictAtTheLastLook(t *testing.T) {
	// A leak of 20 MB/min with 4 MB of noise is no certain failure at any
	// interim look, but over the minute it fails PlateauWithin(16 MB) as a
	// fixed run of a minute does.
	rec := linearLeak(2, 20)
	m := matchers.PlateauWithin(16 * matchers.MB)
	ok, err := m.Match(rec)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	d := firstDecision(t, rec, minute, m)
	want := matchers.Passed
	if !ok {
		want = matchers.Failed
	}
	if d.Verdict != want || d.Look != 6 || d.At != time.Minute {
		t.Errorf("Decision = %v at look %d (%v); want %v at the last look, 60 s, as Match says", d.Verdict, d.Look, d.At, want)
	}

	// A matcher still inconclusive at the last look fails.
	d = firstDecision(t, level(), matchers.Plan{Max: 15 * time.Second, Looks: 3}, matchers.ReturnToBaseline(8*matchers.MB))
	if d.Verdict != matchers.Failed || d.Look != 3 || !strings.HasPrefix(d.Message, `ReturnToBaseline is inconclusive: the recording has no "load-start" event`) {
		t.Errorf("Decision = %+v; want an inconclusive failure at the last look", d)
	}
}

func TestDecideIsAPureFunctionOfTheSnapshot(t *testing.T) {
	// However often a spec polls, each look judges the data up to its time:
	// polling every sample or once a second decides the same, at the same
	// time, and a snapshot decided twice is decided the same way.
	m := matchers.PlateauWithin(16 * matchers.MB)
	for seed := uint64(1); seed <= 10; seed++ {
		rec := linearLeak(seed, 30)
		every := firstDecision(t, rec, minute, m)
		var once matchers.Decision
		for s := time.Second; s <= time.Minute; s += time.Second {
			d, err := matchers.Decide(at(rec, s), minute, m)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			again, _ := matchers.Decide(at(rec, s), minute, m)
			if again != d {
				t.Fatalf("seed %d at %v: Decide said %+v, then %+v", seed, s, d, again)
			}
			if d.Verdict != matchers.Undecided {
				once = d
				break
			}
		}
		if once.Verdict != every.Verdict || once.At != every.At || once.Look != every.Look {
			t.Errorf("seed %d: polled every second %v at %v, every sample %v at %v", seed, once.Verdict, once.At, every.Verdict, every.At)
		}
	}
}

func TestDecideContinuesWithoutData(t *testing.T) {
	for _, rec := range []recording.Recording{{}, at(level(), 9*time.Second)} {
		d, err := matchers.Decide(rec, minute, matchers.PlateauWithin(32*matchers.MB))
		if err != nil || d != (matchers.Decision{}) {
			t.Errorf("Decide of %d samples = %+v, %v; want Continue", len(rec.Samples), d, err)
		}
	}
}

func TestDecidePassesWhenEveryMatcherDoes(t *testing.T) {
	d := firstDecision(t, at(level(), 15*time.Second), matchers.Plan{Max: 15 * time.Second, Looks: 1},
		matchers.PlateauWithin(32*matchers.MB), matchers.StayBelow(64*matchers.MB))
	want := "memory did plateau within 32.0 MB: from a baseline of 40.0 MB it peaked at 48.0 MB (+8.0 MB) over 15.0 s (61 samples); " +
		"after the 3.0 s warm-up the peaks of 12 windows of 1.0 s rose +0.0 MB from their early level of 48.0 MB (noise margin 0.0 MB, 32.0 MB allowed) " +
		"and trend at 0.0 MB/min (95 %: 0.0 to 0.0 MB/min), +0.0 MB over the 12.0 s judged (16.0 MB allowed); " +
		"the floor of the last 3 windows settled at 40.0 MB, +0.0 MB above the baseline (noise margin 0.0 MB, 32.0 MB allowed).\n" +
		"memory did stay below 64.0 MB: it peaked at 48.0 MB at 0.2 s, 16.0 MB below the limit; 0 of 61 samples over 15.0 s were at or above it."
	if d.Verdict != matchers.Passed || d.Message != want {
		t.Errorf("Decision = %v: %s\nwant pass: %s", d.Verdict, d.Message, want)
	}
}

func TestDecideRejectsWhatNoDataCanFix(t *testing.T) {
	tests := []struct {
		name string
		plan matchers.Plan
		ms   []types.GomegaMatcher
		want string
	}{
		{"no maximum", matchers.Plan{}, []types.GomegaMatcher{matchers.StayBelow(matchers.GB)}, "decide verdict: the plan needs a Max above zero, but has 0s"},
		{"negative looks", matchers.Plan{Max: time.Minute, Looks: -1}, []types.GomegaMatcher{matchers.StayBelow(matchers.GB)}, "decide verdict: the plan needs at least one look, but has -1"},
		{"no matchers", minute, nil, "decide verdict: no matchers to decide with"},
		{"a foreign matcher", minute, []types.GomegaMatcher{gomega.BeNil()}, "decide verdict: *matchers.BeNilMatcher is not one of leakspec's matchers, so it cannot be judged early"},
		{"a bad option", matchers.Plan{Max: 15 * time.Second, Looks: 1}, []types.GomegaMatcher{matchers.PlateauWithin(matchers.MB, matchers.Windows(2))},
			"PlateauWithin needs at least 6 windows to see a trend, but Windows(2) was given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := matchers.Decide(level(), tt.plan, tt.ms...); err == nil || err.Error() != tt.want {
				t.Errorf("Decide error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestWatch(t *testing.T) {
	// Each snapshot shows a tenth of a second more of a level run, as a
	// Recorder would. At the first look, 5 s, the 2 s after the 3 s
	// warm-up make seven windows of three samples: the level is certain.
	rec := sampled(100*time.Millisecond, 15*time.Second, func(time.Duration) uint64 { return 50 * matchers.MB })
	shown := time.Duration(0)
	snapshot := func() recording.Recording {
		shown += 100 * time.Millisecond
		return at(rec, shown)
	}
	d, err := matchers.Watch(context.Background(), snapshot, matchers.Plan{Max: 15 * time.Second, Looks: 3, Poll: time.Millisecond},
		matchers.PlateauWithin(32*matchers.MB))
	if err != nil || d.Verdict != matchers.Passed || d.Look != 1 || d.At != 5*time.Second {
		t.Errorf("Watch = %+v, %v; want a pass at the first look, 5 s", d, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stalled := func() recording.Recording { return at(rec, time.Second) }
	if _, err := matchers.Watch(ctx, stalled, minute, matchers.PlateauWithin(32*matchers.MB)); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch with a cancelled context: error %v, want context.Canceled", err)
	}
}

func TestVerdictString(t *testing.T) {
	for v, want := range map[matchers.Verdict]string{matchers.Undecided: "undecided", matchers.Passed: "passed", matchers.Failed: "failed"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q, want %q", v, v.String(), want)
		}
	}
}

func TestDecideLetsABoundedClimbPastTheWarmUpEnd(t *testing.T) {
	// A cache that fills 28 MB from 10 to 20 s, past the 12 s warm-up, and
	// then holds: at 20 s the 8 s judged climbed 22 MB, more than half the
	// 32 MB budget, but the worker plateaus within the budget, as the
	// fixed run of the minute says. An interim look cannot tell a climb
	// that stops from one that goes on, so it must not fail it.
	fill := sampled(100*time.Millisecond, time.Minute, func(t time.Duration) uint64 {
		tooth := 2 * matchers.MB * uint64(t/(300*time.Millisecond)%2)
		switch {
		case t < 10*time.Second:
			return 100*matchers.MB + tooth
		case t < 20*time.Second:
			return 100*matchers.MB + uint64(28*float64(matchers.MB)*(t-10*time.Second).Seconds()/10) + tooth
		default:
			return 128*matchers.MB + tooth
		}
	})
	if ok, err := matchers.PlateauWithin(32 * matchers.MB).Match(fill); !ok || err != nil {
		t.Fatalf("the fixed run of the minute: %v, %v; want a pass", ok, err)
	}
	d := firstDecision(t, fill, minute, matchers.PlateauWithin(32*matchers.MB))
	if d.Verdict != matchers.Passed {
		t.Errorf("Decision = %v at look %d (%v): %s\nwant a pass, as the fixed run of the minute", d.Verdict, d.Look, d.At, d.Message)
	}
}

// TestDecideWaitsForFreshLiveHeapReadings: a Go worker's live heap changes
// only when a collection ends, so a level stretch between rare
// collections is a few readings, not the dozens of samples it spans. An
// interim look passes it only once enough collections read it level.
func TestDecideWaitsForFreshLiveHeapReadings(t *testing.T) {
	heap := func(collectEvery time.Duration) recording.Recording {
		rec := sampled(100*time.Millisecond, 10*time.Second, func(time.Duration) uint64 { return 200 * matchers.MB })
		for i := range rec.Samples {
			s := &rec.Samples[i]
			s.GoRuntime, s.HeapLive, s.GCCycles = true, 50*matchers.MB, 1+uint64(s.At/collectEvery)
		}
		return rec.Series(recording.HeapLive)
	}
	plan := matchers.Plan{Max: 10 * time.Second} // looks every 1.7 s, warm-up 2 s
	for _, tc := range []struct {
		name         string
		collectEvery time.Duration
		look         int
	}{
		{"a collection every 200 ms", 200 * time.Millisecond, 3},
		// Four readings after the warm-up by the fifth look, at 8.3 s:
		// the level is only read at the last look, as for a fixed run.
		{"a collection every 2 s", 2 * time.Second, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := firstDecision(t, heap(tc.collectEvery), plan, matchers.PlateauWithin(32*matchers.MB))
			if d.Verdict != matchers.Passed || d.Look != tc.look {
				t.Errorf("decided %v at look %d, want passed at look %d: %s", d.Verdict, d.Look, tc.look, d.Message)
			}
		})
	}
}
