package reports

import (
	"encoding/xml"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/synth"
	"github.com/leakspec/leakspec/worker/recording"
)

// rssPixels counts the pixels of the RSS line's colour in a box of the
// image, given as fractions of its width and height from the top left.
func rssPixels(img image.Image, x0, x1, y0, y1 float64) int {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y + int(y0*float64(b.Dy())); y < b.Min.Y+int(y1*float64(b.Dy())); y++ {
		for x := b.Min.X + int(x0*float64(b.Dx())); x < b.Min.X+int(x1*float64(b.Dx())); x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, uint32(rssColor.R)) && near(g>>8, uint32(rssColor.G)) && near(bl>>8, uint32(rssColor.B)) {
				n++
			}
		}
	}
	return n
}

func near(a, b uint32) bool { return a+12 >= b && b+12 >= a }

func TestWritePlots(t *testing.T) {
	dir := t.TempDir()
	judgments := []Judgment{{Expectation: "plateau within 32.0 MB", Budget: 32_000_000}}
	plots := map[string]string{}
	for name, perMinute := range map[string]float64{"leak": 1200 * mb, "plateau": 0} {
		stem := filepath.Join(dir, "suite", name)
		if err := WritePlots(stem, peaksOnALine(perMinute), SpecSummary{Name: "a worker that " + name + "s", Verdict: "verdict of the " + name, Judgments: judgments}); err != nil {
			t.Fatal(err)
		}
		pngPath, svgPath := PlotPaths(stem)
		f, err := os.Open(pngPath)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s is not a PNG: %v", pngPath, err)
		}
		if b := img.Bounds(); b.Dx() != 960 || b.Dy() != 432 {
			t.Errorf("%s is %dx%d, want 960x432", pngPath, b.Dx(), b.Dy())
		}
		// In the second half of the time axis, the top of the chart holds
		// the leak's highest teeth and nothing of the plateau's, which stay
		// below its budget band.
		if n := rssPixels(img, 0.45, 0.78, 0.09, 0.25); (n > 0) != (name == "leak") {
			t.Errorf("%s: %d RSS pixels in the top of the chart's right half", name, n)
		}
		if n := rssPixels(img, 0.1, 0.7, 0.1, 0.9); n == 0 {
			t.Errorf("%s: no RSS line drawn", name)
		}

		data, err := os.ReadFile(svgPath)
		if err != nil {
			t.Fatal(err)
		}
		var root struct{ XMLName xml.Name }
		if err := xml.Unmarshal(data, &root); err != nil || root.XMLName.Local != "svg" {
			t.Errorf("%s is not an SVG document (root %q, %v)", svgPath, root.XMLName.Local, err)
		}
		plots[name] = string(data)
	}
	for name, svg := range plots {
		for _, text := range []string{"a worker that " + name + "s", "verdict of the " + name, "budget +32.0 MB", "retry (2)", "warm-up (2.1 s)", "peaks of 12 windows", "PSS"} {
			if !strings.Contains(svg, text) {
				t.Errorf("the %s's SVG does not say %q", name, text)
			}
		}
	}
}

func TestWritePlotsDrawsALimitWithinReach(t *testing.T) {
	dir := t.TempDir()
	limit := []Judgment{{Expectation: "stay below 400.0 MB", Limit: 400_000_000}}
	for name, perMinute := range map[string]float64{"leak": 1200 * mb, "plateau": 0} {
		stem := filepath.Join(dir, name)
		if err := WritePlots(stem, peaksOnALine(perMinute), SpecSummary{Name: name, Verdict: "pass", Judgments: limit}); err != nil {
			t.Fatal(err)
		}
		_, svgPath := PlotPaths(stem)
		data, err := os.ReadFile(svgPath)
		if err != nil {
			t.Fatal(err)
		}
		// The leak's 214 MB peak is within reach of the limit; the
		// plateau's 60 MB is not, and would be squashed by drawing it.
		want := map[string]string{"leak": ">limit 400.0 MB<", "plateau": ">limit 400.0 MB (far above)<"}[name]
		if !strings.Contains(string(data), want) {
			t.Errorf("the %s's plot does not say %q", name, want)
		}
	}
}

func TestWritePlotsShadesThePlannedWarmUp(t *testing.T) {
	// A run that recorded until its verdict was certain, planned for 30 s,
	// was judged after a 6 s warm-up at every look; its plot says so.
	rec := peaksOnALine(0)
	f := PlannedFiguresOf(rec, 30*time.Second)
	stem := filepath.Join(t.TempDir(), "early")
	if err := WritePlots(stem, rec, SpecSummary{Name: "early", Verdict: "pass", Figures: &f}); err != nil {
		t.Fatal(err)
	}
	_, svgPath := PlotPaths(stem)
	data, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), ">warm-up (6.0 s)<") {
		t.Error("the plot of a run planned for 30 s does not shade its 6 s warm-up")
	}
}

func TestWrap(t *testing.T) {
	for _, tt := range []struct {
		text  string
		width int
		want  string
	}{
		{"short", 10, "short"},
		{"an RQ SimpleWorker is caught leaking", 16, "an RQ\nSimpleWorker is\ncaught leaking"},
		{"averyveryverylongword fits", 8, "averyveryverylongword\nfits"},
	} {
		if got := wrap(tt.text, tt.width); got != tt.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.text, tt.width, got, tt.want)
		}
	}
}

func TestWritePlotsDrawsTheTrendThatFailed(t *testing.T) {
	// A real RQ worker keeping 64 KiB per job: its peaks climb 25 MB over
	// the time judged but rise by less than the 32 MB budget between their
	// early and late levels, so every one stays in the band; the trend
	// check fails them, and the plot must show that check: the trend,
	// steeper than its allowance of half the budget.
	rec, err := ReadCSV("../matchers/testdata/rq-keeps-64kib-per-job-60s.csv")
	if err != nil {
		t.Fatal(err)
	}
	f := FiguresOf(rec)
	spec := SpecSummary{Name: "an RQ worker keeps 64 KiB per job", State: "failed", Verdict: "fail: did not plateau within 32.0 MB",
		Figures: &f, Judgments: []Judgment{{Expectation: "plateau within 32.0 MB", Budget: 32_000_000}}}
	stem := filepath.Join(t.TempDir(), "climb")
	if err := WritePlots(stem, rec, spec); err != nil {
		t.Fatal(err)
	}
	_, svgPath := PlotPaths(stem)
	data, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">budget +32.0 MB<", ">trend +25.1 MB over 50 s,<", ">  at least +24.4 MB: too steep<",
		">trend allowed +16.0 MB,<", ">  half the budget, over 50 s<"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the plot of a trend failure does not say %q", want)
		}
	}
	if !strings.Contains(string(data), "fill:#CF222E") && !strings.Contains(string(data), "rgb(207,34,46)") {
		t.Error("the title of a failed spec is not red")
	}
	if os.Getenv("LEAKSPEC_TREND_PLOT") != "" {
		png, _ := PlotPaths(stem)
		data, err := os.ReadFile(png)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(os.Getenv("LEAKSPEC_TREND_PLOT"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWritePlotsDrawsTheLevelThatFailed(t *testing.T) {
	// A worker whose failing jobs leave reference cycles climbs 200 MB
	// within its first 3 s, inside the warm-up, then saws level above that:
	// its peaks neither rise nor trend, so the band and the trend pass it,
	// and only the level check fails it. The plot must show that check: the
	// floor it settled on, above the line it may not cross, both red.
	rec := synth.Series(synth.Cycles(200*mb, 3*time.Second), synth.DefaultNoise, 20*time.Second, 100*time.Millisecond, 7)
	judgments := []Judgment{{Expectation: "plateau within 32.0 MB", Budget: 32_000_000}}
	f := FiguresOf(rec)
	stem := filepath.Join(t.TempDir(), "cycles")
	spec := SpecSummary{Name: "a worker keeps 200 MB in reference cycles", State: "failed",
		Verdict: "fail: did not plateau within 32.0 MB of where the load began", Figures: &f,
		Judgments: []Judgment{{Expectation: judgments[0].Expectation, Budget: judgments[0].Budget, Met: false}}}
	if err := WritePlots(stem, rec, spec); err != nil {
		t.Fatal(err)
	}
	_, svgPath := PlotPaths(stem)
	data, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(data)
	for _, want := range []string{", too high:<", " over the baseline<", ">level allowed ", ">  start + budget + "} {
		if !strings.Contains(svg, want) {
			t.Errorf("the plot of a level failure does not say %q", want)
		}
	}
	if strings.Contains(svg, "too steep") {
		t.Error("the plot of a worker whose peaks are level calls its trend too steep")
	}
	if os.Getenv("LEAKSPEC_LEVEL_PLOT") != "" {
		png, _ := PlotPaths(stem)
		data, err := os.ReadFile(png)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(os.Getenv("LEAKSPEC_LEVEL_PLOT"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The same worker judged as having met its budget (a spec that chose
	// its own warm-up measures the level from there) draws the lines but
	// not red.
	spec.Judgments[0].Met, spec.State, spec.Verdict = true, "passed", "pass"
	if err := WritePlots(stem, rec, spec); err != nil {
		t.Fatal(err)
	}
	if data, err = os.ReadFile(svgPath); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "too high") || !strings.Contains(string(data), ">level allowed ") {
		t.Error("a spec that met its budget has its level drawn as too high, or not drawn")
	}
}

// TestWritePlotsGrowsToHoldALongLegend: a run with many kinds of events has
// more legend entries than the plot's height holds; the picture grows so
// that the last of them is drawn, not cut off.
func TestWritePlotsGrowsToHoldALongLegend(t *testing.T) {
	rec := peaksOnALine(0)
	names := []string{"connections-dropped", "idle-tail", "load-start", "load-stop", "succeeded", "failed", "warning"}
	for i, name := range names {
		rec.Events = append(rec.Events, recording.Event{At: time.Duration(i+1) * time.Second, Name: name})
	}
	stem := filepath.Join(t.TempDir(), "suite", "events")
	judgments := []Judgment{{Expectation: "plateau within 32.0 MB", Budget: 32_000_000}}
	if err := WritePlots(stem, rec, SpecSummary{Name: "many events", Verdict: "pass", Judgments: judgments}); err != nil {
		t.Fatal(err)
	}
	pngPath, svgPath := PlotPaths(stem)
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Height <= 432 {
		t.Errorf("%s is %d pixels high, want more than the 432 of a plot whose legend fits", pngPath, cfg.Height)
	}
	// The last entry, in the SVG, lies within the picture. Its y is in the
	// flipped coordinates of gonum's SVG: minus the height above the bottom.
	data, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(data)
	height := svgLength(t, svg, `height="`)
	last := strings.Index(svg, ">warning (1)<")
	if last < 0 {
		t.Fatalf("the SVG has no legend entry for the last event:\n%.400s", svg)
	}
	above := -svgLength(t, svg[strings.LastIndex(svg[:last], "<text"):], `y="`)
	if above <= 0 || above >= height {
		t.Errorf("the last legend entry is drawn %gpt above the bottom, outside the picture's height %gpt", above, height)
	}
}

// svgLength reads the number after the first attribute opening in s.
func svgLength(t *testing.T, s, attr string) float64 {
	t.Helper()
	i := strings.Index(s, attr)
	if i < 0 {
		t.Fatalf("no %s in %.200s", attr, s)
	}
	rest := s[i+len(attr):]
	end := strings.IndexAny(rest, `"p`)
	v, err := strconv.ParseFloat(rest[:end], 64)
	if err != nil {
		t.Fatalf("%s%s: %v", attr, rest[:end], err)
	}
	return v
}

func TestWritePlotsDrawsTheChecksOnTheSeriesJudged(t *testing.T) {
	// A forked pool whose summed RSS climbs with the pages its children
	// share, while its PSS, the series its spec judged, saws level.
	rec := recording.Recording{Name: "a pool", Interval: 100 * time.Millisecond, SlowInterval: 100 * time.Millisecond}
	for i := range 300 {
		at := time.Duration(i) * 100 * time.Millisecond
		saw := uint64(i%10) * 1_000_000
		rec.Samples = append(rec.Samples, recording.Sample{
			At: at, RSS: 100_000_000 + uint64(i)*1_000_000 + saw, PSS: 50_000_000 + saw, USS: 40_000_000 + saw,
			Detailed: true, Processes: 3, HeapLive: 20_000_000 + saw, GoRuntime: true,
		})
	}
	rec.Duration = 30 * time.Second
	for series, want := range map[recording.Series][]string{
		recording.PSS: {">PSS peaks<", ">  of 11 windows<", ">trend +0.0 MB over 24 s,<"},
		// A Go worker's live heap is drawn as a line of its own.
		recording.HeapLive: {">live heap<", ">live heap peaks<", ">trend +0.0 MB over "},
		"":                 {">peaks of 12 windows<", ": too steep<"},
	} {
		judgments := []Judgment{{Expectation: "plateau within 32.0 MB", Budget: 32_000_000, Series: series}}
		stem := filepath.Join(t.TempDir(), "pool")
		if err := WritePlots(stem, rec, SpecSummary{Name: "a pool", Verdict: "pass", Judgments: judgments}); err != nil {
			t.Fatal(err)
		}
		_, svgPath := PlotPaths(stem)
		data, err := os.ReadFile(svgPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range want {
			if !strings.Contains(string(data), text) {
				t.Errorf("judged on %q, the plot does not say %q: %s", series, text, strings.Join(regexp.MustCompile(`>[^<>]*(peaks|trend)[^<>]*<`).FindAllString(string(data), -1), " "))
			}
		}
	}
}
