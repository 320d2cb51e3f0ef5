package reports

import (
	"math"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/worker/recording"
)

const mb = float64(bytesize.MB)

// peaksOnALine is a ten-second recording sampled every 100 ms whose figures
// can be worked out by hand. The warm-up is then 2 s (a fifth of the run,
// at least a second), and the 8 s after it are cut into six windows of 4/3 s
// whose middles are 2.67, 4, 5.33, 6.67, 8 and 9.33 s. Memory rests at 50 MB
// after a warm-up at 40 MB (dipping once to 38 MB), and each window holds
// one tooth whose top lies on the line 60 MB + perMinute × (window middle),
// so the Theil–Sen slope of the peaks is exactly perMinute. PSS and USS are
// sampled every second, at 5 MB and 8 MB below RSS.
func peaksOnALine(perMinute float64) recording.Recording {
	teeth := map[int]uint64{}
	for w := range 6 {
		teeth[int(math.Round(windowMid(w)*10))] = tooth(perMinute, w)
	}
	rec := recording.Recording{Name: "peaks on a line"}
	for i := 0; i <= 100; i++ {
		rss := 50 * bytesize.MB
		switch {
		case i == 7:
			rss = 38 * bytesize.MB
		case i < 20:
			rss = 40 * bytesize.MB
		case teeth[i] > 0:
			rss = teeth[i]
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

// windowMid is the middle of window w of peaksOnALine, in seconds.
func windowMid(w int) float64 { return 2 + (float64(w)+0.5)*8/6 }

// tooth is the top of the tooth of window w of peaksOnALine.
func tooth(perMinute float64, w int) uint64 { return uint64(60*mb + perMinute*windowMid(w)/60) }

func TestFiguresOfPeaksOnALine(t *testing.T) {
	const perMinute = 120 * mb // 2 MB a second
	f := FiguresOf(peaksOnALine(perMinute))

	// The last tooth, at 9.3 s, is the highest: 60 MB + 2 MB/s × 9.33 s.
	wantPeak := tooth(perMinute, 5)
	if f.Samples != 101 || f.Events != 2 || f.DurationS != 10 || f.WarmUpS != 2 {
		t.Errorf("Samples, Events, DurationS, WarmUpS = %d, %d, %v, %v; want 101, 2, 10, 2", f.Samples, f.Events, f.DurationS, f.WarmUpS)
	}
	if f.Baseline != 38*bytesize.MB || f.Peak != wantPeak || f.Growth != wantPeak-38*bytesize.MB || f.PeakAtS != 9.3 {
		t.Errorf("Baseline, Peak, Growth, PeakAtS = %d, %d, %d, %v; want 38 MB, %d, %d, 9.3",
			f.Baseline, f.Peak, f.Growth, f.PeakAtS, wantPeak, wantPeak-38*bytesize.MB)
	}
	if f.Peaks != 6 || f.EarlyPeak != tooth(perMinute, 0) || f.JudgedS != 8 {
		t.Errorf("Peaks, EarlyPeak, JudgedS = %d, %d, %v; want 6, the first tooth, 8", f.Peaks, f.EarlyPeak, f.JudgedS)
	}
	// Rounding each tooth to whole bytes moves the slope by at most a few
	// bytes a minute.
	if f.Slope == nil || math.Abs(*f.Slope-perMinute) > 10 {
		t.Errorf("Slope = %v, want %v bytes a minute", f.Slope, perMinute)
	}
	if f.PeakNoise > 1 || f.SlopeNoise > 10 {
		t.Errorf("PeakNoise, SlopeNoise = %v, %v; want about 0 for peaks on a line", f.PeakNoise, f.SlopeNoise)
	}
	// The slow samples on whole seconds caught the teeth at 4 s and 8 s.
	atEight := tooth(perMinute, 4) - 5*bytesize.MB
	if f.PSSPeak != atEight || f.USSPeak != atEight-3*bytesize.MB {
		t.Errorf("PSSPeak, USSPeak = %d, %d; want %d, %d", f.PSSPeak, f.USSPeak, atEight, atEight-3*bytesize.MB)
	}
}

func TestFiguresOfAPlateau(t *testing.T) {
	f := FiguresOf(peaksOnALine(0))
	if f.Slope == nil || *f.Slope != 0 {
		t.Errorf("Slope = %v, want exactly 0 for level peaks", f.Slope)
	}
	if f.Peak != 60*bytesize.MB || f.Growth != 22*bytesize.MB {
		t.Errorf("Peak, Growth = %d, %d; want 60 MB, 22 MB", f.Peak, f.Growth)
	}
	// PSS and USS were sampled on whole seconds, two of which (4 s, 8 s)
	// fell on a tooth.
	if f.PSSPeak != 55*bytesize.MB || f.USSPeak != 52*bytesize.MB {
		t.Errorf("PSSPeak, USSPeak = %d, %d; want 55 MB, 52 MB", f.PSSPeak, f.USSPeak)
	}
}

func TestFiguresNoiseGrowsWithScatter(t *testing.T) {
	level, scattered := peaksOnALine(0), peaksOnALine(0)
	// Lift every other tooth by 6 MB: the peaks zigzag around a level line.
	lift := 0
	for i, s := range scattered.Samples {
		if s.RSS == 60*bytesize.MB {
			if lift%2 == 0 {
				scattered.Samples[i].RSS += 6 * bytesize.MB
			}
			lift++
		}
	}
	quiet, noisy := FiguresOf(level), FiguresOf(scattered)
	if quiet.PeakNoise != 0 || noisy.PeakNoise < 2*mb || noisy.SlopeNoise <= 0 {
		t.Errorf("PeakNoise %v (level) and %v (zigzag), SlopeNoise %v (zigzag); want 0, several MB and more than 0",
			quiet.PeakNoise, noisy.PeakNoise, noisy.SlopeNoise)
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
	// window after it can hold a peak, so there is no slope.
	if f.Baseline != 30*bytesize.MB || f.Peak != 35*bytesize.MB || f.Slope != nil || f.Peaks != 0 || f.Aborted == "" {
		t.Errorf("FiguresOf(two samples) = %+v; want baseline 30 MB, peak 35 MB, no slope, the abort reason", f)
	}
}

func TestWarmUpFor(t *testing.T) {
	for last, want := range map[time.Duration]time.Duration{
		0: time.Second, 3 * time.Second: time.Second, 10 * time.Second: 2 * time.Second, time.Minute: 12 * time.Second,
	} {
		if got := WarmUpFor(last); got != want {
			t.Errorf("WarmUpFor(%v) = %v, want %v", last, got, want)
		}
	}
}
