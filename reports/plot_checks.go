package reports

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/matchers/stats"
)

// levelColor draws the floor PlateauWithin's level check measured.
var levelColor = color.NRGBA{R: 0xe0, G: 0x8a, B: 0x00, A: 0xff}

// addTrend draws what PlateauWithin's trend check measures: the Theil–Sen
// line through the peaks over the time judged, and, with a budget, the
// allowance it is held to (stats.Plateau.TrendBudget, half the budget over
// that time), drawn from where the trend starts. A trend steeper than its
// allowance is a leak even while every peak is still inside the band of
// the level check; the legend gives both in megabytes, the trend with the
// lower bound the check compares.
func addTrend(p *plot.Plot, legend *plot.Legend, judged stats.Plateau) error {
	env, budget := judged.Envelope, judged.Budget
	minutes, peaks := env.Peaks()
	_, intercept := stats.TheilSen(minutes, peaks)
	end := env.Duration.Minutes()
	start := end - env.Judged.Minutes()
	at := func(m float64) float64 { return (intercept + judged.Trend.Slope*m) / float64(bytesize.MB) }
	line, err := plotter.NewLine(plotter.XYs{{X: start * 60, Y: at(start)}, {X: end * 60, Y: at(end)}})
	if err != nil {
		return err
	}
	estimate, lower, _ := judged.Projected(env.Judged)
	line.Color, line.Width = trendColor, vg.Points(1.5)
	over := fmt.Sprintf(" over %.0f s", env.Judged.Seconds())
	name := "trend " + bytesize.FormatSigned(int64(math.Round(estimate))) + over
	if !math.IsInf(lower, 0) && !math.IsNaN(lower) {
		name += ",\n  at least " + bytesize.FormatSigned(int64(math.Round(lower)))
	}
	if budget > 0 && judged.TrendsTooFar() {
		line.Color = limitColor
		name += ": too steep"
	}
	p.Add(line)
	legend.Add(name, line)
	if budget <= 0 {
		return nil
	}
	allowed := judged.TrendBudget() / float64(bytesize.MB)
	allowance, err := plotter.NewLine(plotter.XYs{{X: start * 60, Y: at(start)}, {X: end * 60, Y: at(start) + allowed}})
	if err != nil {
		return err
	}
	allowance.Color, allowance.Width, allowance.Dashes = allowColor, vg.Points(1.5), []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(allowance)
	legend.Add("trend allowed +"+bytesize.Format(uint64(judged.TrendBudget()))+",\n  half the budget,"+over, allowance)
	return nil
}

// addLevel draws what PlateauWithin's level check measures: the floor the
// worker settled on (stats.Plateau.Settled, the median floor of the last
// Ends windows, or the least it held idle after its load), from where it
// was read on, and the highest level it may settle
// at, where the load began plus the budget and the noise margin, across the
// time judged. Both turn red when the floor sits above that line and the
// spec's budget was not met: a worker that climbed within the warm-up and
// then held level (reference cycles behind a lagging collector) passes the
// band and the trend, and only this line shows why it failed.
func addLevel(p *plot.Plot, legend *plot.Legend, judged stats.Plateau, failed bool) error {
	windows := judged.Counted()
	if judged.Ends == 0 || len(windows) < judged.Ends {
		return nil
	}
	tooHigh := failed && judged.SitsTooHigh()
	from := judged.SettledFrom.Seconds()
	settled := judged.Settled / float64(bytesize.MB)
	floor, err := plotter.NewLine(plotter.XYs{{X: from, Y: settled}, {X: judged.Duration.Seconds(), Y: settled}})
	if err != nil {
		return err
	}
	floor.Color, floor.Width = levelColor, vg.Points(3)
	since := "the baseline"
	if judged.FromWarmUp {
		since = "the early peaks"
	}
	// Two lines an entry: the legend's rows are as tall as its tallest.
	verdict := ""
	if tooHigh {
		verdict = ", too high"
	}
	name := fmt.Sprintf("floor %s%s:\n  %s over %s", bytesize.Format(uint64(max(judged.Settled, 0))), verdict,
		bytesize.FormatSigned(int64(math.Round(judged.Level))), since)
	allowed := allowedLevel(judged) / float64(bytesize.MB)
	start := judged.WarmUp.Seconds()
	ceiling, err := plotter.NewLine(plotter.XYs{{X: start, Y: allowed}, {X: judged.Duration.Seconds(), Y: allowed}})
	if err != nil {
		return err
	}
	ceiling.Color, ceiling.Width, ceiling.Dashes = allowColor, vg.Points(1.5), []vg.Length{vg.Points(1.5), vg.Points(2.5)}
	if tooHigh {
		floor.Color, ceiling.Color = limitColor, limitColor
	}
	p.Add(ceiling, floor)
	legend.Add(name, floor)
	legend.Add(fmt.Sprintf("level allowed %s:\n  start + budget + %s noise", bytesize.Format(uint64(max(allowedLevel(judged), 0))),
		bytesize.Format(uint64(math.Round(judged.LevelMargin)))), ceiling)
	return nil
}

// allowedLevel is the highest floor PlateauWithin's level check lets
// pass: where the load began, plus the budget and the noise margin.
func allowedLevel(judged stats.Plateau) float64 {
	return judged.Start + judged.Budget + judged.LevelMargin
}

// budgetFailed reports whether a spec's budget was not met: the plateau
// check failed, or, in a positive control, caught its leak.
func budgetFailed(judgments []Judgment) bool {
	for _, j := range judgments {
		if j.Budget > 0 && !j.Met {
			return true
		}
	}
	return false
}
