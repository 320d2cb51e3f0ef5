package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// cutStaircase is the staircase after a 3 s warm-up in six windows of 2 s:
// peaks 80, 100, ... 160, 190 and floors 70, 90, ... 170, ten units a
// second, 600 a minute.
func cutStaircase(t *testing.T) Envelope {
	t.Helper()
	at, v := staircase()
	e, err := Cut(at, v, 3*time.Second, 6)
	if err != nil {
		t.Fatalf("Cut: %v", err)
	}
	return e
}

func near(got, want float64) bool { return math.Abs(got-want) <= 1e-6*math.Max(1, math.Abs(want)) }

func TestJudgePlateau(t *testing.T) {
	e := cutStaircase(t)
	// The early and late levels pool two windows each: the medians of 80
	// and 100, and of 160 and 190. The pairwise slopes of the peaks are
	// 600 a minute but for those that end at the last peak, so the slope
	// and its lower bound are 600 a minute, and over the 12 s judged add
	// 120; the upper bound, at rank 12.88 of 15, is 696.9 a minute. The
	// peaks lie on their line but for the last, so their noise is nil.
	p := JudgePlateau(e, 200, 0.95, 0)
	if p.Ends != 2 || p.Early != 90 || p.Late != 175 || p.Rise != 85 || !near(p.RiseMargin, 0) {
		t.Errorf("levels: Ends %d, Early %v, Late %v, Rise %v, RiseMargin %v; want 2, 90, 175, 85, 0", p.Ends, p.Early, p.Late, p.Rise, p.RiseMargin)
	}
	if !near(p.Trend.Slope, 600) || !near(p.Trend.Lower, 600) || math.Abs(p.Trend.Upper-696.9425) > 1e-3 {
		t.Errorf("trend = %+v, want 600 (600 to 696.94)", p.Trend)
	}
	if estimate, lower, _ := p.Projected(p.Judged); !near(estimate, 120) || !near(lower, 120) {
		t.Errorf("Projected over the 12 s judged = %v, %v; want 120, 120", estimate, lower)
	}
	tests := []struct {
		name    string
		budget  float64
		horizon time.Duration
		want    Evidence
	}{
		{"the trend adds 120, more than half of 200", 200, 0, Beyond},
		{"a rise of 85 beyond a budget of 80", 80, 0, Beyond},
		{"within 300 all the way to the end", 300, 0, Within},
		{"within 300 so far, but not to a planned minute", 300, time.Minute, Unsure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JudgePlateau(e, tt.budget, 0.95, tt.horizon).Evidence(); got != tt.want {
				t.Errorf("Evidence = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSettledIdle(t *testing.T) {
	e := cutStaircase(t)
	p := JudgePlateau(e, 200, 0.95, 0)
	at := []time.Duration{10 * time.Second, 10500 * time.Millisecond, 11 * time.Second, 11500 * time.Millisecond, 12 * time.Second, 12500 * time.Millisecond}
	idle := []float64{60, 52, 50, 51, 50, 53}
	got := p.SettledIdle(at, idle, 10500*time.Millisecond)
	// The least of the five samples from 10.5 s on, 50, which is 10 above
	// the staircase's baseline of 40. Their neighbours differ by -2, 1, -1
	// and 3, deviations 2, 1, 1 and 3 from their median of 0, whose median
	// is 1.5: a noise of 1.4826 * 1.5 / √2 = 1.5725, and at 95 % a margin of
	// 1.645 * 1.5725 * √(π/5) = 2.0503.
	if !got.Idle || got.Settled != 50 || got.SettledFrom != 10500*time.Millisecond || got.Level != 10 || math.Abs(got.LevelMargin-2.0503) > 1e-4 {
		t.Errorf("SettledIdle = Idle %v, Settled %v from %v, Level %v, margin %v; want true, 50 from 10.5s, 10, 2.0503",
			got.Idle, got.Settled, got.SettledFrom, got.Level, got.LevelMargin)
	}
	if fewer := p.SettledIdle(at, idle, 11*time.Second); fewer.Idle || fewer.Settled != p.Settled {
		t.Errorf("with %d idle samples, fewer than %d, SettledIdle read %v, want the windows' %v", 4, MinIdleSamples, fewer.Settled, p.Settled)
	}
}

func TestJudgeGrowth(t *testing.T) {
	e := cutStaircase(t)
	// The floor starts at the median of 70 and 90 and ends at the median of
	// 150 and 170: it rose 80, on an exact line of 600 a minute, which over
	// the 12 s judged is 120.
	g := JudgeGrowth(e, 80, 0.95, 0)
	if g.Start != 80 || g.End != 160 || g.Rise != 80 || !near(g.Margin, 0) || !near(g.Trend.Upper, 600) {
		t.Errorf("JudgeGrowth = Start %v, End %v, Rise %v, Margin %v, Upper %v; want 80, 160, 80, 0, 600", g.Start, g.End, g.Rise, g.Margin, g.Trend.Upper)
	}
	for limit, want := range map[float64]Evidence{80: Beyond, 81: Unsure, 121: Within} {
		if got := JudgeGrowth(e, limit, 0.95, 0).Evidence(); got != want {
			t.Errorf("Evidence with a limit of %v = %v, want %v", limit, got, want)
		}
	}
}

func TestJudgeSlope(t *testing.T) {
	e := cutStaircase(t)
	for rate, want := range map[float64]Evidence{599: Beyond, 601: Within, 5000: Within} {
		s := JudgeSlope(e, rate, 0.95)
		if got := s.Evidence(); got != want {
			t.Errorf("Evidence against %v a minute = %v, want %v (trend %+v)", rate, got, want, s.Trend)
		}
	}
}

func TestJudgePerEvent(t *testing.T) {
	e := cutStaircase(t)
	// An event every whole second: the floors, reached at 3, 5, ... 13 s,
	// had seen 3, 5, ... 13 events and climb 10 per event.
	var events []time.Duration
	for s := 1; s <= 15; s++ {
		events = append(events, time.Duration(s)*time.Second)
	}
	p, err := JudgePerEvent(e, events, 10, 0.95)
	if err != nil {
		t.Fatalf("JudgePerEvent: %v", err)
	}
	if !near(p.Trend.Slope, 10) || p.Distinct != 6 || p.Events != 15 || p.Counts[0] != 3 {
		t.Errorf("JudgePerEvent = %+v", p)
	}
	if got := p.Evidence(); got != Beyond {
		t.Errorf("Evidence against 10 per event = %v, want beyond", got)
	}
	if p, _ := JudgePerEvent(e, events, 10.5, 0.95); p.Evidence() != Within {
		t.Errorf("Evidence against 10.5 per event = %v, want within", p.Evidence())
	}

	_, err = JudgePerEvent(e, events[:2], 1, 0.95)
	var few *TooFewEventsError
	if !errors.As(err, &few) {
		t.Fatalf("JudgePerEvent with two early events: error %v, want a *TooFewEventsError", err)
	}
	const text = "not enough data (need at least 3 different counts of events at the floors of the windows after the 3.0 s warm-up; got 1, from 2 events in all)"
	if err.Error() != text {
		t.Errorf("error =\n%s\nwant\n%s", err, text)
	}
}

// loadAndSettle idles at 40 for 5 s, is under load at 100 until 10 s, holds
// 70 for 2 s and settles at 45, sampled every 100 ms until end.
func loadAndSettle(end time.Duration) ([]time.Duration, []float64) {
	var at []time.Duration
	var v []float64
	for t := time.Duration(0); t <= end; t += 100 * time.Millisecond {
		x := 45.0
		switch {
		case t < 5*time.Second:
			x = 40
		case t < 10*time.Second:
			x = 100
		case t < 12*time.Second:
			x = 70
		}
		at, v = append(at, t), append(v, x)
	}
	return at, v
}

func TestJudgeReturn(t *testing.T) {
	at, v := loadAndSettle(25 * time.Second)
	// The window of a second ending at 12.5 s is the first whose samples
	// are mostly at 45: 11.6 s to 11.9 s at 70, 12.0 s to 12.5 s at 45.
	r, err := JudgeReturn(at, v, 5*time.Second, 10*time.Second, 8, time.Second, 10*time.Second)
	if err != nil {
		t.Fatalf("JudgeReturn: %v", err)
	}
	if r.Baseline != 40 || r.BaselineSamples != 50 || r.Peak != 100 || r.PeakAt != 5*time.Second || !r.Returned ||
		r.ReturnedAt != 12500*time.Millisecond || r.Level != 45 || r.After != 15*time.Second || r.Evidence() != Within {
		t.Errorf("JudgeReturn = %+v", r)
	}

	stuck, _ := JudgeReturn(at, v, 5*time.Second, 10*time.Second, 4, time.Second, 10*time.Second)
	if stuck.Returned || stuck.Level != 45 || stuck.Evidence() != Beyond {
		t.Errorf("within 4: Returned %v, Level %v, Evidence %v; want false, 45, beyond", stuck.Returned, stuck.Level, stuck.Evidence())
	}
	at, v = loadAndSettle(15 * time.Second)
	if early, _ := JudgeReturn(at, v, 5*time.Second, 10*time.Second, 4, time.Second, 10*time.Second); early.Evidence() != Unsure {
		t.Errorf("within 4, 5 s after the stop: Evidence %v, want unsure", early.Evidence())
	}

	_, err = JudgeReturn(at, v, 150*time.Millisecond, 10*time.Second, 8, time.Second, 10*time.Second)
	const text = "not enough data (need at least 3 samples before the load started to know the baseline; got 2 samples)"
	if err == nil || err.Error() != text {
		t.Errorf("JudgeReturn with a load from 0.15 s: error %v, want %s", err, text)
	}
}

func TestTeeth(t *testing.T) {
	var at []time.Duration
	var saw, noise, step []float64
	r := rand.New(rand.NewPCG(5, 6))
	for k := range 200 {
		at = append(at, time.Duration(k)*100*time.Millisecond)
		// A tooth of 1.3 s: 13 samples climbing 2 units each, then a drop.
		saw = append(saw, 100+2*float64(k%13)+0.1*r.NormFloat64())
		noise = append(noise, 100+r.NormFloat64())
		step = append(step, 100-30*float64(k/120))
	}
	if period, drops := Teeth(at, saw); period != 1300*time.Millisecond || drops != 15 {
		t.Errorf("Teeth of a sawtooth = %v, %d; want 1.3s, 15", period, drops)
	}
	if period, drops := Teeth(at, noise); period != 0 || drops != 0 {
		t.Errorf("Teeth of noise = %v, %d; want 0, 0", period, drops)
	}
	if period, drops := Teeth(at, step); period != 0 || drops != 1 {
		t.Errorf("Teeth of a step = %v, %d; want 0, 1", period, drops)
	}
}

func TestLooks(t *testing.T) {
	got := LookTimes(time.Minute, 6)
	for i, want := range []time.Duration{10, 20, 30, 40, 50, 60} {
		if got[i] != want*time.Second {
			t.Errorf("look %d at %v, want %v", i+1, got[i], want*time.Second)
		}
	}
	if b := FalseAlarmBound(0.05, 6); !near(b, 0.055) {
		t.Errorf("FalseAlarmBound(0.05, 6) = %v, want 0.055", b)
	}
}

func TestLocalNoise(t *testing.T) {
	// A climb that stops is a change of level, not noise: its differences
	// are 10, 10, 10, 0, 0, 0, 0, whose median is 0 and whose absolute
	// deviations from it have the median 0.
	if got := LocalNoise([]float64{0, 10, 20, 30, 30, 30, 30, 30}); got != 0 {
		t.Errorf("LocalNoise of a climb that stops = %v, want 0", got)
	}
	// Alternating values a and a+2 differ by ±2 from neighbour to
	// neighbour: a standard deviation of 1.4826·2/√2.
	if got := LocalNoise([]float64{0, 2, 0, 2, 0, 2, 0}); !near(got, madToSigma*math.Sqrt2) {
		t.Errorf("LocalNoise of a zigzag = %v, want %v", got, madToSigma*math.Sqrt2)
	}
	if got := LocalNoise([]float64{5}); got != 0 {
		t.Errorf("LocalNoise of one value = %v, want 0", got)
	}
}
