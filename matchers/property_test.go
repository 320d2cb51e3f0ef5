package matchers_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/internal/synth"
	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// withScenario adds the events a scenario notes to a synthetic series: the
// load from a fifth of the run to six tenths, and a "job" every 250 ms
// meanwhile.
func withScenario(rec recording.Recording) recording.Recording {
	last := rec.Samples[len(rec.Samples)-1].At
	start, stop := last/5, last*6/10
	var jobs []time.Duration
	for t := start; t < stop; t += 250 * time.Millisecond {
		jobs = append(jobs, t)
	}
	rec = withEvents(rec, recording.LoadStart, start)
	rec = withEvents(rec, "job", jobs...)
	return withEvents(rec, recording.LoadStop, stop)
}

// judged is what a matcher said of a recording.
type judged struct {
	ok  bool
	err string
}

func judge(m types.GomegaMatcher, rec recording.Recording) judged {
	ok, err := m.Match(rec)
	j := judged{ok: ok}
	if err != nil {
		j.err = err.Error()
	}
	return j
}

// TestShiftingASeriesNeverChangesAVerdict raises every sample of series of
// every class, leaking or not, noisy or clean, by a constant: a worker
// that holds more memory from the start but behaves the same must be
// judged the same. Every verdict is made from differences, medians and
// ranks of whole bytes, so the shift changes nothing, not even by a
// rounding error. StayBelow is left out: an absolute limit is meant to see
// the shift.
func TestShiftingASeriesNeverChangesAVerdict(t *testing.T) {
	ms := map[string]types.GomegaMatcher{
		"PlateauWithin":        matchers.PlateauWithin(16 * matchers.MB),
		"GrowLessThan":         matchers.GrowLessThan(16 * matchers.MB),
		"HaveSlopeBelow":       matchers.HaveSlopeBelow(matchers.MBPerMinute(10)),
		"GrowLessThanPerEvent": matchers.GrowLessThanPerEvent(256*matchers.KB, "job"),
		"ReturnToBaseline":     matchers.ReturnToBaseline(8 * matchers.MB),
	}
	classes := append(synth.LeakFree(), synth.LinearLeak(20e6), synth.RatchetingSawtooth(20e6), synth.LinearLeak(200e6))
	shifts := []uint64{1, 4 * matchers.KiB, 1 * matchers.GB, 3*matchers.GiB + 7}
	for _, c := range classes {
		for seed := uint64(1); seed <= 10; seed++ {
			for _, noise := range []synth.Noise{{}, synth.DefaultNoise} {
				rec := withScenario(synth.Series(c, noise, 30*time.Second, 100*time.Millisecond, seed))
				for name, m := range ms {
					want := judge(m, rec)
					for _, d := range shifts {
						if got := judge(m, shifted(rec, d)); got != want {
							t.Errorf("%s, seed %d, %s: raised by %d bytes it was judged %+v, unshifted %+v", c.Name, seed, name, d, got, want)
						}
					}
				}
				d0, err := matchers.Decide(rec, matchers.Plan{Max: 30 * time.Second}, ms["PlateauWithin"], ms["GrowLessThan"])
				if err != nil {
					t.Fatalf("Decide: %v", err)
				}
				for _, d := range shifts {
					if got, _ := matchers.Decide(shifted(rec, d), matchers.Plan{Max: 30 * time.Second}, ms["PlateauWithin"], ms["GrowLessThan"]); got.Verdict != d0.Verdict || got.At != d0.At {
						t.Errorf("%s, seed %d: raised by %d bytes Decide said %v at %v, unshifted %v at %v", c.Name, seed, d, got.Verdict, got.At, d0.Verdict, d0.At)
					}
				}
			}
		}
	}
}

// TestDoublingTheNoiseOfAPlateauNeverMakesItFail doubles the noise of
// leak-free plateaus, keeping the draws of the noise (synth scales the same
// draws), and checks that what passed still passes at default settings.
// The matchers that fail only on evidence of growth widen their margins and
// bounds as the noise grows, so more noise only makes them more lenient.
//
// It holds for white noise up to half the budget, doubled (here 4 MB to
// 8 MB against 16 MB), and for the benchmark's slow wander up to its
// default, 2 MB. Beyond that a wander drifts over a run of a minute like a
// leak would (at twice the default, PlateauWithin(16 MB) fails 2 % of
// plateaus): no verdict from one run can tell them apart.
//
// HaveSlopeBelow is the one matcher left out, by design: it passes only on
// evidence that the slope is below its rate, so a noisier run, which shows
// less, fails it more often. That is its contract, not a false alarm; the
// README gives the rates it can vouch for.
func TestDoublingTheNoiseOfAPlateauNeverMakesItFail(t *testing.T) {
	ms := map[string]types.GomegaMatcher{
		"PlateauWithin(16 MB)":         matchers.PlateauWithin(16 * matchers.MB),
		"GrowLessThan(16 MB)":          matchers.GrowLessThan(16 * matchers.MB),
		"GrowLessThanPerEvent(256 kB)": matchers.GrowLessThanPerEvent(256*matchers.KB, "job"),
		"ReturnToBaseline(8 MB)":       matchers.ReturnToBaseline(8 * matchers.MB),
	}
	white := func(mb float64) synth.Noise { return synth.Noise{White: mb * 1e6, Page: 4096} }
	noises := []synth.Noise{white(0.5), white(1), white(2), white(4), synth.DefaultNoise.Scaled(0.25), synth.DefaultNoise.Scaled(0.5)}
	for _, length := range []time.Duration{30 * time.Second, time.Minute} {
		for _, noise := range noises {
			for seed := uint64(1); seed <= 50; seed++ {
				quiet := withScenario(synth.Series(synth.Plateau(), noise, length, 100*time.Millisecond, seed))
				loud := withScenario(synth.Series(synth.Plateau(), noise.Scaled(2), length, 100*time.Millisecond, seed))
				for name, m := range ms {
					before, after := judge(m, quiet), judge(m, loud)
					if before.ok && !after.ok {
						t.Errorf("%s, %v, %s, seed %d: it passed, but with twice the noise failed: %s%s",
							name, length, noiseName(noise), seed, after.err, m.FailureMessage(loud))
					}
				}
			}
		}
	}
}

func noiseName(n synth.Noise) string {
	return fmt.Sprintf("white %.2f MB, wander %.2f MB", n.White/1e6, n.Wander/1e6)
}

func synthLeakFree() []synth.Class { return synth.LeakFree() }

func synthFastLeaks() []synth.Class {
	return []synth.Class{synth.LinearLeak(160e6), synth.RatchetingSawtooth(160e6)}
}

// synthSeries is a series of the benchmark: its default noise, sampled
// every 100 ms.
func synthSeries(c synth.Class, length time.Duration, seed uint64) recording.Recording {
	return synth.Series(c, synth.DefaultNoise, length, 100*time.Millisecond, seed)
}
