package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/matchers/stats"
	"github.com/leakspec/leakspec/worker/recording"
)

// The size of a plot: wide enough for a few dozen teeth of a sawtooth, and
// small enough for a row of the index.
const (
	plotWidth  = 10 * vg.Inch
	plotHeight = 4.5 * vg.Inch
	// legendWidth is the strip on the right that holds the legend, so that
	// it never hides the series.
	legendWidth = 2.3 * vg.Inch
	// legendTop is the space above the legend, beside the plot's title.
	legendTop = vg.Length(40)
	// titleWidth is where a long spec text is wrapped in the title.
	titleWidth = 100
)

// Colours, chosen to be told apart by most colour-blind readers too.
var (
	rssColor    = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	pssColor    = color.NRGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	ussColor    = color.NRGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}
	heapColor   = color.NRGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff}
	warmUpColor = color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0x30}
	budgetColor = color.NRGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0x40}
	limitColor  = color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	peakColor   = color.NRGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xff}
	trendColor  = color.NRGBA{R: 0x44, G: 0x44, B: 0x44, A: 0xff}
	allowColor  = color.NRGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	stopColor   = color.NRGBA{R: 0x6a, G: 0x3d, B: 0x9a, A: 0xff}
	// verdictColors colour a plot's title by the spec's outcome, as the
	// index does.
	verdictColors = map[string]color.NRGBA{
		OutcomeFailed: {R: 0xcf, G: 0x22, B: 0x2e, A: 0xff}, OutcomeRegressed: {R: 0xcf, G: 0x22, B: 0x2e, A: 0xff},
		OutcomeInconclusive: {R: 0x9a, G: 0x67, B: 0x00, A: 0xff}, OutcomeCaught: {R: 0x82, G: 0x50, B: 0xdf, A: 0xff},
		OutcomePassed: {R: 0x1a, G: 0x7f, B: 0x37, A: 0xff}, OutcomeSkipped: {R: 0x77, G: 0x77, B: 0x77, A: 0xff},
	}
	eventColors = []color.NRGBA{
		{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}, {R: 0xe3, G: 0x77, B: 0xc2, A: 0xff},
		{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, {R: 0xbc, G: 0xbd, B: 0x22, A: 0xff},
		{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	}
)

// PlotPaths returns where WritePlots writes the PNG and the SVG of a spec
// whose files are named by stem (a path without an extension).
func PlotPaths(stem string) (png, svg string) { return stem + ".png", stem + ".svg" }

// WritePlots draws a spec's recording and writes it as stem.png and
// stem.svg: memory over time (tree RSS as a line; PSS and USS, where they
// were sampled, as dotted lines with points), the warm-up shaded, the peaks
// of the windows the matchers judge marked, the plateau budget drawn as a
// band above the early level of those peaks (from that level up to the
// level plus the budget), what PlateauWithin's trend and level checks
// measured (see addTrend and addLevel), a StayBelow limit as a dashed line, the events as
// ticks along the bottom, and the spec's name and verdict as the title.
// The warm-up, the windows and the early level are the spec's figures,
// read as the matchers read the recording (see Figures): a run planned to
// stop early (spec.Figures.PlannedS) is drawn with the warm-up of its plan.
//
// A leak is a staircase of ever-higher peaks climbing out of the band; a
// plateau is a sawtooth whose peaks stay inside it.
func WritePlots(stem string, rec recording.Recording, spec SpecSummary) error {
	p, legend, err := drawPlot(rec, spec)
	if err != nil {
		return fmt.Errorf("write plots: %w", err)
	}
	// A run with many kinds of events has a legend taller than the plot:
	// the picture grows to hold it rather than cut its last entries off.
	extent := legend.Rectangle(draw.Canvas{})
	height := max(plotHeight, extent.Max.Y-extent.Min.Y+legendTop+vg.Points(8))
	pngPath, svgPath := PlotPaths(stem)
	for _, path := range []string{pngPath, svgPath} {
		format := path[strings.LastIndexByte(path, '.')+1:]
		c, err := draw.NewFormattedCanvas(plotWidth, height, format)
		if err != nil {
			return fmt.Errorf("write plots: %w", err)
		}
		dc := draw.New(c)
		p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
		legend.Draw(draw.Crop(dc, plotWidth-legendWidth+vg.Points(8), 0, 0, -legendTop))
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return fmt.Errorf("write plots: %w", err)
		}
		if err := writeAtomically(path, buf.Bytes()); err != nil {
			return fmt.Errorf("write plots: %w", err)
		}
	}
	return nil
}

// drawPlot lays out the plot of a recording.
// The legend is kept apart from the plot, to be drawn beside it.
func drawPlot(rec recording.Recording, spec SpecSummary) (*plot.Plot, *plot.Legend, error) {
	p := plot.New()
	p.Title.Text = wrap(spec.Name, titleWidth) + "\n" + spec.Verdict
	p.Title.TextStyle.Color = verdictColors[Outcome(spec)]
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = "memory of the worker's process tree (MB)"
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.TickerFunc(roundTicks), plot.TickerFunc(roundTicks)
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(10)
	legend.Padding = vg.Points(3)

	var planned time.Duration
	if spec.Figures != nil {
		planned = time.Duration(spec.Figures.PlannedS * float64(time.Second))
	}
	// The axes hold the whole recording; the peaks, trend, band and level
	// are drawn on the measure the budget judged, PSS for a forked pool.
	whole, _, _ := readFigures(rec, planned)
	series := judgedSeries(spec.Judgments)
	judgedRec := rec
	if series != "" {
		judgedRec = rec.Series(series)
	}
	f, env, _ := readFigures(judgedRec, planned)
	budget, limit := growthBudget(spec.Judgments)
	// The band needs the early level, which is read with the trend.
	banded := budget > 0 && f.Slope != nil
	top := mbOf(max(whole.Peak, f.Peak))
	var judged stats.Plateau
	if f.Slope != nil {
		judged = stats.JudgePlateau(env, float64(budget), stats.DefaultConfidence, planned)
		if since, ok := judgedRec.IdleSince(); ok {
			at, v := samples(judgedRec)
			judged = judged.SettledIdle(at, v, since)
		}
	}
	if banded {
		top = max(top, (f.EarlyLevel+float64(budget))/float64(bytesize.MB), allowedLevel(judged)/float64(bytesize.MB))
	}
	// A limit far above the series would squash it into a flat line at the
	// bottom, and a plateau is only seen as one when its sawtooth shows: such
	// a limit is named in the legend but left off the chart.
	limitShown := limit > 0 && mbOf(limit) <= 2*top
	if limitShown {
		top = max(top, mbOf(limit))
	}
	top = max(top*1.08, 1)
	end := max(whole.DurationS, 1)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, end, 0, top

	warmUp := min(whole.WarmUpS, end)
	shade, err := plotter.NewPolygon(rect(0, warmUp, 0, top))
	if err != nil {
		return nil, nil, err
	}
	shade.Color, shade.LineStyle.Width = warmUpColor, 0
	p.Add(shade)
	legend.Add(fmt.Sprintf("warm-up (%.1f s)", warmUp), shade)

	if banded {
		early := f.EarlyLevel / float64(bytesize.MB)
		band, err := plotter.NewPolygon(rect(warmUp, end, early, early+mbOf(budget)))
		if err != nil {
			return nil, nil, err
		}
		band.Color, band.LineStyle.Width = budgetColor, 0
		p.Add(band)
		legend.Add("budget +"+bytesize.Format(budget), band)
	}

	rss := make(plotter.XYs, len(rec.Samples))
	var pss, uss, heap plotter.XYs
	for i, s := range rec.Samples {
		rss[i] = plotter.XY{X: s.At.Seconds(), Y: mbOf(s.RSS)}
		if s.Detailed {
			pss = append(pss, plotter.XY{X: s.At.Seconds(), Y: mbOf(s.PSS)})
			uss = append(uss, plotter.XY{X: s.At.Seconds(), Y: mbOf(s.USS)})
		}
		if s.GoRuntime {
			heap = append(heap, plotter.XY{X: s.At.Seconds(), Y: mbOf(s.HeapLive)})
		}
	}
	if len(rss) > 0 {
		line, err := plotter.NewLine(rss)
		if err != nil {
			return nil, nil, err
		}
		line.Color, line.Width = rssColor, vg.Points(1.2)
		p.Add(line)
		legend.Add("RSS", line)
	}
	for _, detail := range []struct {
		name string
		xys  plotter.XYs
		c    color.Color
	}{{"PSS", pss, pssColor}, {"USS", uss, ussColor}, {"live heap", heap, heapColor}} {
		if len(detail.xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(detail.xys)
		if err != nil {
			return nil, nil, err
		}
		line.Color, line.Dashes = detail.c, []vg.Length{vg.Points(2), vg.Points(2)}
		points.Color, points.Shape, points.Radius = detail.c, draw.CircleGlyph{}, vg.Points(1.5)
		p.Add(line, points)
		legend.Add(detail.name, line, points)
	}

	if err := addPeaks(p, &legend, env, series); err != nil {
		return nil, nil, err
	}
	if f.Slope != nil {
		if err := addTrend(p, &legend, judged); err != nil {
			return nil, nil, err
		}
	}
	if banded {
		if err := addLevel(p, &legend, judged, budgetFailed(spec.Judgments)); err != nil {
			return nil, nil, err
		}
	}
	if err := addStop(p, &legend, rec, whole, top); err != nil {
		return nil, nil, err
	}

	if limit > 0 {
		line, err := plotter.NewLine(plotter.XYs{{X: 0, Y: mbOf(limit)}, {X: end, Y: mbOf(limit)}})
		if err != nil {
			return nil, nil, err
		}
		line.Color, line.Dashes = limitColor, []vg.Length{vg.Points(6), vg.Points(3)}
		name := "limit " + bytesize.Format(limit)
		if limitShown {
			p.Add(line)
		} else {
			name += " (far above)"
		}
		legend.Add(name, line)
	}
	return p, &legend, addEvents(p, &legend, rec.Events, top)
}

// addPeaks marks the peak of each window that counts, at the window's
// middle, where the matchers place it to fit their trend.
func addPeaks(p *plot.Plot, legend *plot.Legend, env stats.Envelope, series recording.Series) error {
	minutes, peaks := env.Peaks()
	if len(peaks) == 0 {
		return nil
	}
	xys := make(plotter.XYs, len(peaks))
	for i := range peaks {
		xys[i] = plotter.XY{X: minutes[i] * 60, Y: peaks[i] / float64(bytesize.MB)}
	}
	marks, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	marks.Shape, marks.Color, marks.Radius = draw.CrossGlyph{}, peakColor, vg.Points(3.5)
	p.Add(marks)
	n := fmt.Sprint(len(env.Windows))
	if env.Points < len(env.Windows) {
		n = fmt.Sprintf("%d of %d", env.Points, len(env.Windows))
	}
	label := fmt.Sprintf("peaks of %s windows", n)
	if series != "" {
		// On two lines, as the legend's other long entries: "live heap
		// peaks of 6 of 7 windows" is wider than the legend's strip.
		label = fmt.Sprintf("%s peaks\n  of %s windows", series, n)
	}
	legend.Add(label, marks)
	return nil
}

// addStop marks where a run ended before its scenario did: at the ceiling
// it crossed, or when it was stopped for another reason (Figures.Aborted),
// or, for a run that recorded until its verdict was certain, where it
// stopped short of its plan. The ceiling itself is drawn when the series
// came within reach of it.
func addStop(p *plot.Plot, legend *plot.Legend, rec recording.Recording, f Figures, top float64) error {
	if c := rec.Ceiling; c > 0 && mbOf(c) <= top {
		line, err := plotter.NewLine(plotter.XYs{{X: 0, Y: mbOf(c)}, {X: p.X.Max, Y: mbOf(c)}})
		if err != nil {
			return err
		}
		line.Color, line.Width, line.Dashes = stopColor, vg.Points(1.5), []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(line)
		legend.Add("ceiling "+bytesize.Format(c), line)
	}
	var why string
	switch {
	case f.Aborted != "":
		why = "stopped: " + wrap(strings.TrimRight(f.Aborted, ". "), 28)
	case f.PlannedS > 0 && f.DurationS < f.PlannedS*0.99:
		why = fmt.Sprintf("stopped at %.0f s of %.0f s:\nverdict certain", f.DurationS, f.PlannedS)
	default:
		return nil
	}
	line, err := plotter.NewLine(plotter.XYs{{X: f.DurationS, Y: 0}, {X: f.DurationS, Y: top}})
	if err != nil {
		return err
	}
	// A little room after the stop, so its line is not the plot's frame.
	p.X.Max = max(p.X.Max, f.DurationS*1.03)
	line.Color, line.Width = stopColor, vg.Points(2)
	p.Add(line)
	legend.Add(why, line)
	return nil
}

// addEvents marks each event with a tick along the bottom of the plot, one
// colour per event name, named with its count in the legend.
func addEvents(p *plot.Plot, legend *plot.Legend, events []recording.Event, top float64) error {
	var names []string
	byName := map[string]plotter.XYs{}
	for _, e := range events {
		if _, ok := byName[e.Name]; !ok {
			names = append(names, e.Name)
		}
		byName[e.Name] = append(byName[e.Name], plotter.XY{X: e.At.Seconds(), Y: top * 0.015})
	}
	slices.Sort(names)
	for i, name := range names {
		marks, err := plotter.NewScatter(byName[name])
		if err != nil {
			return err
		}
		c := eventColors[i%len(eventColors)]
		marks.Shape, marks.Color, marks.Radius = draw.TriangleGlyph{}, c, vg.Points(3)
		p.Add(marks)
		legend.Add(fmt.Sprintf("%s (%d)", name, len(byName[name])), marks)
	}
	return nil
}

// roundTicks labels an axis with about five round values (1, 2 or 5 times
// a power of ten apart), as a person would draw it by hand.
func roundTicks(lo, hi float64) []plot.Tick {
	if hi <= lo {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', -1, 64)}}
	}
	raw := (hi - lo) / 5
	step := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*step >= raw {
			step *= m
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step/1e6; v += step {
		v = math.Round(v/step) * step
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}

// rect is the rectangle [x0, x1] × [y0, y1] as a polygon.
func rect(x0, x1, y0, y1 float64) plotter.XYs {
	return plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
}

func mbOf(b uint64) float64 { return bytesize.ToMB(b) }

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines, line = append(lines, line), word
			continue
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}
