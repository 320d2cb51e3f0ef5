package reports

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
)

var started = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// baselineOf is a summary holding one spec of suite "rq" whose files are
// named "report-job", with the given figures and earlier runs.
func baselineOf(f Figures, history ...Point) Summary {
	return Summary{Version: SummaryVersion, Suites: []SuiteSummary{{
		Suite: "rq", Started: started,
		Specs: []SpecSummary{{Name: "the report job", File: "report-job", Figures: &f, History: history}},
	}}}
}

func slope(perMinute float64) *float64 { return &perMinute }

func figures(peakMB, slopeMBPerMin float64) Figures {
	return Figures{Samples: 100, JudgedS: 480, Peak: uint64(peakMB * mb), Slope: slope(slopeMBPerMin * mb)}
}

func TestCompareNamesARegression(t *testing.T) {
	base := baselineOf(figures(250, 10))
	cmp, ok := base.Compare("main/summary.json", "rq", "report-job", figures(412, 200), 0.2)
	if !ok {
		t.Fatal("Compare found no baseline for the spec")
	}
	const want = "Expected memory to be no worse than on the baseline, but it regressed: " +
		"peak 412.0 MB vs 250.0 MB on the baseline, +65 %, above the 300.0 MB allowed (tolerance 20 %, noise ±0.0 MB); " +
		"slope 200.0 MB/min vs 10.0 MB/min on the baseline, +190.0 MB/min, above the 12.0 MB/min allowed (tolerance 20 %, noise ±0.0 MB/min).\n" +
		"The baseline is main/summary.json, with 1 run of this spec."
	if got := cmp.Message(); got != want {
		t.Errorf("Message =\n%s\nwant\n%s", got, want)
	}
	if got := Verdict(0, nil, &cmp, ""); got != "regressed: peak +65 % on the baseline" {
		t.Errorf("Verdict = %q", got)
	}
}

func TestCompareWithItselfPasses(t *testing.T) {
	f := FiguresOf(peaksOnALine(120 * mb))
	cmp, ok := baselineOf(f).Compare("b", "rq", "report-job", f, 0.2)
	if !ok || cmp.Message() != "" || len(cmp.Checks) != 2 {
		t.Errorf("a run against itself: ok %v, checks %+v, message %q; want two checks that pass", ok, cmp.Checks, cmp.Message())
	}
}

func TestCompareTolerance(t *testing.T) {
	base := baselineOf(figures(250, 10))
	for _, tt := range []struct {
		peak      float64
		tolerance float64
		regressed bool
	}{
		{299, 0.2, false},
		{301, 0.2, true},
		{240, 0, false},
		{252, 0, true},
		// Below 1 MB, no difference counts, whatever the tolerance.
		{250.9, 0, false},
	} {
		cmp, _ := base.Compare("b", "rq", "report-job", figures(tt.peak, 10), tt.tolerance)
		if got := cmp.Checks[0].Regressed; got != tt.regressed {
			t.Errorf("peak %v MB against 250 MB with tolerance %v: regressed %v, want %v", tt.peak, tt.tolerance, got, tt.regressed)
		}
	}
}

func TestCompareAllowsForNoise(t *testing.T) {
	// 320 MB against 250 MB is beyond a 20 % tolerance (300 MB) ...
	quiet := baselineOf(figures(250, 0))
	if cmp, _ := quiet.Compare("b", "rq", "report-job", figures(320, 0), 0.2); !cmp.Checks[0].Regressed {
		t.Fatal("320 MB against a quiet 250 MB did not regress")
	}

	// ... but not when earlier runs of the baseline spread from 200 to
	// 300 MB: their standard deviation, 50 MB, allows three times as much.
	spread := baselineOf(figures(250, 0), Point{Peak: uint64(200 * mb)}, Point{Peak: uint64(300 * mb)})
	cmp, _ := spread.Compare("b", "rq", "report-job", figures(320, 0), 0.2)
	if c := cmp.Checks[0]; c.Regressed || c.Runs != 3 || math.Abs(c.Noise-50*mb) > 1 || math.Abs(c.Allowed-400*mb) > 1 {
		t.Errorf("against runs of 200, 250 and 300 MB: %+v; want noise 50 MB, 400 MB allowed, no regression", c)
	}

	// ... nor when the peaks of both runs scatter by 20 MB around their
	// trends: the noise adds up to 28.3 MB, and three times that is 85 MB.
	noisyBase, noisyNow := figures(250, 0), figures(320, 0)
	noisyBase.PeakNoise, noisyNow.PeakNoise = 20*mb, 20*mb
	cmp, _ = baselineOf(noisyBase).Compare("b", "rq", "report-job", noisyNow, 0.2)
	if c := cmp.Checks[0]; c.Regressed || math.Abs(c.Noise-math.Sqrt(800)*mb) > 1 {
		t.Errorf("with 20 MB of scatter in both runs: %+v; want noise 28.3 MB and no regression", c)
	}
}

func TestCompareSlopeFloorScalesWithTheRun(t *testing.T) {
	// In a run judged for 8 s, 1 MB over the run is 7.5 MB/min: a slope of
	// 5 MB/min above a level baseline is noise, 9 MB/min is not.
	base := figures(100, 0)
	base.JudgedS = 8
	for perMinute, regressed := range map[float64]bool{5: false, 9: true} {
		now := figures(100, perMinute)
		now.JudgedS = 8
		cmp, _ := baselineOf(base).Compare("b", "rq", "report-job", now, 0.2)
		if len(cmp.Checks) != 2 || cmp.Checks[1].Regressed != regressed {
			t.Errorf("slope %v MB/min over 8 s against 0: checks %+v, want regressed %v", perMinute, cmp.Checks, regressed)
		}
	}
}

func TestCompareWithoutTheSpec(t *testing.T) {
	base := baselineOf(figures(250, 10))
	for _, where := range [][2]string{{"rq", "another-job"}, {"celery", "report-job"}} {
		if _, ok := base.Compare("b", where[0], where[1], figures(250, 10), 0.2); ok {
			t.Errorf("Compare found %s/%s in a baseline without it", where[0], where[1])
		}
	}
	// Without a slope on either side, only the peak is compared.
	noSlope := figures(250, 0)
	noSlope.Slope = nil
	cmp, ok := baselineOf(noSlope).Compare("b", "rq", "report-job", figures(250, 500), 0.2)
	if !ok || len(cmp.Checks) != 1 || cmp.Checks[0].Figure != "peak" {
		t.Errorf("checks %+v, want the peak alone", cmp.Checks)
	}
}

func TestCompareCarriesTheHistory(t *testing.T) {
	var history []Point
	for i := range 12 {
		history = append(history, Point{Started: started.Add(time.Duration(i) * time.Hour), Peak: uint64(i+200) * bytesize.MB})
	}
	cmp, _ := baselineOf(figures(250, 0), history...).Compare("b", "rq", "report-job", figures(250, 0), 0.2)
	if len(cmp.History) != maxHistory {
		t.Fatalf("History holds %d runs, want the last %d", len(cmp.History), maxHistory)
	}
	last := cmp.History[len(cmp.History)-1]
	if cmp.History[0].Peak != 203*bytesize.MB || last.Peak != 250*bytesize.MB || !last.Started.Equal(started) {
		t.Errorf("History runs from %+v to %+v; want from the 4th earlier run to the baseline run itself", cmp.History[0], last)
	}
	if !strings.Contains(cmp.Checks[0].String(), "(median of 10 runs)") {
		t.Errorf("check %q does not say it compares with a median", cmp.Checks[0])
	}
}
