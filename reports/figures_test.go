package reports

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

const mb = float64(bytesize.MB)

// peaksOnALine is a 10.5 s recording sampled every 100 ms whose figures can
// be worked out by hand. The warm-up is then 2.1 s (a fifth of the run, at
// least a second), and the 8.4 s after it are cut into twelve windows of
// 0.7 s, seven samples each (the last also holds the sample at 10.5 s),
// whose middles are 2.45, 3.15, ... 10.15 s. Memory rests at 40 MB in the
// warm-up (dipping once to 38 MB); in window w it holds level(perMinute, w),
// 60 MB plus perMinute over the window's middle, so the Theil–Sen slope of
// the peaks is exactly perMinute. Nothing ever drops, so the series has no
// teeth and keeps all twelve windows. PSS and USS are sampled every second,
// at 5 MB and 8 MB below RSS.
func peaksOnALine(perMinute float64) recording.Recording {
	rec := recording.Recording{Name: "peaks on a line"}
	for i := 0; i <= 105; i++ {
		rss := 40 * bytesize.MB
		switch {
		case i == 7:
			rss = 38 * bytesize.MB
		case i >= 21:
			rss = level(perMinute, min((i-21)/7, 11))
		}
		s := recording.Sample{At: time.Duration(i) * 100 * time.Millisecond, RSS: rss, Processes: 1}
		if i%10 == 0 {
			s.Detailed, s.PSS, s.USS = true, s.RSS-5*bytesize.MB, s.RSS-8*bytesize.MB
		}
		rec.Samples = append(rec.Samples, s)
	}
	rec.Events = []recording.Event{{At: time.Second, Name: "retry"}, {At: 3 * time.Second, Name: "retry"}}
	return rec
}

// level is the memory of window w of peaksOnALine: 60 MB, plus perMinute
// over the time from the first window's middle to w's.
func level(perMinute float64, w int) uint64 {
	return uint64(60*mb + perMinute*(0.7*float64(w))/60)
}

func TestFiguresOfPeaksOnALine(t *testing.T) {
	const perMinute = 120 * mb // 2 MB a second, 1.4 MB a window
	f := FiguresOf(peaksOnALine(perMinute))

	if f.Samples != 106 || f.Events != 2 || f.DurationS != 10.5 || f.WarmUpS != 2.1 || f.PlannedS != 0 {
		t.Errorf("Samples, Events, DurationS, WarmUpS, PlannedS = %d, %d, %v, %v, %v; want 106, 2, 10.5, 2.1, 0",
			f.Samples, f.Events, f.DurationS, f.WarmUpS, f.PlannedS)
	}
	// The last window's level is the peak, first reached at 9.8 s.
	wantPeak := level(perMinute, 11)
	if f.Baseline != 38*bytesize.MB || f.Peak != wantPeak || f.Growth != wantPeak-38*bytesize.MB || f.PeakAtS != 9.8 {
		t.Errorf("Baseline, Peak, Growth, PeakAtS = %d, %d, %d, %v; want 38 MB, %d, %d, 9.8",
			f.Baseline, f.Peak, f.Growth, f.PeakAtS, wantPeak, wantPeak-38*bytesize.MB)
	}
	if f.Windows != 12 || f.Peaks != 12 || math.Abs(f.WindowS-0.7) > 1e-9 || math.Abs(f.JudgedS-8.4) > 1e-9 {
		t.Errorf("Windows, Peaks, WindowS, JudgedS = %d, %d, %v, %v; want 12, 12, 0.7, 8.4", f.Windows, f.Peaks, f.WindowS, f.JudgedS)
	}
	// Three windows at each end make the early and the late level: the
	// medians of windows 0-2 and 9-11.
	if f.EarlyLevel != float64(level(perMinute, 1)) || f.LateLevel != float64(level(perMinute, 10)) ||
		f.Rise != float64(level(perMinute, 10))-float64(level(perMinute, 1)) {
		t.Errorf("EarlyLevel, LateLevel, Rise = %v, %v, %v; want the levels of windows 1 and 10", f.EarlyLevel, f.LateLevel, f.Rise)
	}
	// Rounding each level to whole bytes moves the slope by at most a few
	// bytes a minute, and its bounds, at 95 %, hug it.
	if f.Slope == nil || math.Abs(*f.Slope-perMinute) > 100 {
		t.Fatalf("Slope = %v, want %v bytes a minute", f.Slope, perMinute)
	}
	if f.Confidence != 0.95 || f.SlopeLower == nil || f.SlopeUpper == nil ||
		*f.SlopeLower > *f.Slope || *f.SlopeUpper < *f.Slope || *f.SlopeUpper-*f.SlopeLower > 1000 {
		t.Errorf("Slope bounds at %v = %v to %v, want finite ones around %v", f.Confidence, f.SlopeLower, f.SlopeUpper, *f.Slope)
	}
	if f.PeakNoise > 1 || f.SlopeNoise > 10 || f.RiseMargin > 10 {
		t.Errorf("PeakNoise, SlopeNoise, RiseMargin = %v, %v, %v; want about 0 for peaks on a line", f.PeakNoise, f.SlopeNoise, f.RiseMargin)
	}
	// The slow sample at 10 s falls in the last window.
	if f.PSSPeak != wantPeak-5*bytesize.MB || f.USSPeak != wantPeak-8*bytesize.MB {
		t.Errorf("PSSPeak, USSPeak = %d, %d; want %d, %d", f.PSSPeak, f.USSPeak, wantPeak-5*bytesize.MB, wantPeak-8*bytesize.MB)
	}
}

func TestFiguresOfAPlateau(t *testing.T) {
	f := FiguresOf(peaksOnALine(0))
	if f.Slope == nil || *f.Slope != 0 || f.Rise != 0 || f.EarlyLevel != 60*mb {
		t.Errorf("Slope, Rise, EarlyLevel = %v, %v, %v; want exactly 0, 0 and 60 MB for level peaks", f.Slope, f.Rise, f.EarlyLevel)
	}
	if f.Peak != 60*bytesize.MB || f.Growth != 22*bytesize.MB {
		t.Errorf("Peak, Growth = %d, %d; want 60 MB, 22 MB", f.Peak, f.Growth)
	}
	if f.PSSPeak != 55*bytesize.MB || f.USSPeak != 52*bytesize.MB {
		t.Errorf("PSSPeak, USSPeak = %d, %d; want 55 MB, 52 MB", f.PSSPeak, f.USSPeak)
	}
}

func TestFiguresNoiseGrowsWithScatter(t *testing.T) {
	level, scattered := peaksOnALine(0), peaksOnALine(0)
	// Lift each window after the warm-up by up to 6 MB at random: the
	// peaks scatter around a level line.
	r := rand.New(rand.NewPCG(1, 2))
	lift := map[time.Duration]uint64{}
	for i, s := range scattered.Samples {
		if s.At < 2100*time.Millisecond {
			continue
		}
		w := min((s.At-2100*time.Millisecond)/(700*time.Millisecond), 11)
		if _, ok := lift[w]; !ok {
			lift[w] = uint64(r.Float64() * 6 * mb)
		}
		scattered.Samples[i].RSS += lift[w]
	}
	quiet, noisy := FiguresOf(level), FiguresOf(scattered)
	if quiet.PeakNoise != 0 || noisy.PeakNoise < mb/2 || noisy.SlopeNoise <= 0 || noisy.RiseMargin <= 0 {
		t.Errorf("PeakNoise %v (level) and %v (scattered), SlopeNoise %v and RiseMargin %v (scattered); want 0, over half a MB and more than 0",
			quiet.PeakNoise, noisy.PeakNoise, noisy.SlopeNoise, noisy.RiseMargin)
	}
}

func TestFiguresOfAPlannedRun(t *testing.T) {
	// A run planned to last 30 s that stopped at 10.5 s is judged after a
	// 6 s warm-up, a fifth of its plan, at every look: so are its figures.
	rec := peaksOnALine(120 * mb)
	f := PlannedFiguresOf(rec, 30*time.Second)
	at, rss := seriesOf(rec)
	env, err := stats.Cut(at, rss, 6*time.Second, stats.DefaultWindows)
	if err != nil {
		t.Fatal(err)
	}
	if f.PlannedS != 30 || f.WarmUpS != 6 || f.Baseline != uint64(env.Baseline) || f.Windows != 12 || f.Peaks != env.Points {
		t.Errorf("PlannedFiguresOf(30 s) = %+v; want a 6 s warm-up and the envelope %+v", f, env)
	}
}

func TestFiguresOfTooLittleData(t *testing.T) {
	if f := FiguresOf(recording.Recording{}); f != (Figures{}) {
		t.Errorf("FiguresOf(empty) = %+v, want zero figures", f)
	}
	rec := recording.Recording{Samples: []recording.Sample{
		{At: 0, RSS: 30 * bytesize.MB}, {At: 500 * time.Millisecond, RSS: 35 * bytesize.MB},
	}, Aborted: "the tree crossed the 4 GiB ceiling"}
	f := FiguresOf(rec)
	// Half a second is all warm-up: the baseline is its floor, and no
	// window after it can hold a peak, so there is no level and no slope.
	if f.Baseline != 30*bytesize.MB || f.Peak != 35*bytesize.MB || f.Slope != nil || f.Peaks != 0 || f.EarlyLevel != 0 || f.Aborted == "" {
		t.Errorf("FiguresOf(two samples) = %+v; want baseline 30 MB, peak 35 MB, no slope, the abort reason", f)
	}
}

// seriesOf returns the times and the RSS of rec's samples.
func seriesOf(rec recording.Recording) ([]time.Duration, []float64) {
	at, rss := make([]time.Duration, len(rec.Samples)), make([]float64, len(rec.Samples))
	for i, s := range rec.Samples {
		at[i], rss[i] = s.At, float64(s.RSS)
	}
	return at, rss
}
