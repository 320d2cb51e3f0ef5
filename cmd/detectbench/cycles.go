package main

import (
	"fmt"
	"io"
	"time"

	"github.com/leakspec/leakspec/internal/synth"
	"github.com/leakspec/leakspec/matchers"
)

// heldSizes are the levels, in MB above the start, that the reference
// cycles class holds: below and above the budget of 16 MB.
var heldSizes = []float64{8, 12, 24, 32, 64, 128, 512}

// climbs are how long the class takes to reach its level: within the
// default warm-up of a 30 s run (6 s) and of a 60 s run (12 s).
var climbs = []time.Duration{time.Second, 3 * time.Second, 6 * time.Second}

// cycles prints how the matchers judge a worker that climbs fast to a high
// bounded level and is freed now and then, and a bounded cache that fills
// above the budget, which no leak-free class does.
func (b *bench) cycles(w io.Writer) {
	fmt.Fprintf(w, "## Fast climb to a high bounded level\n\n")
	fmt.Fprintf(w, "Reference cycles behind a lagging collector: memory climbs within the climb time to a floor held that far above its start and saws above it (teeth of 1 to 4 s, 20 to 60 %% of the level deep, at least 8 MB) as the collector frees a part now and then. Failures (inconclusive included) out of %d series; a level above the 16 MB budget is what PlateauWithin(16 MB) must fail. The last rows are bounded caches: one filling 16 to 48 MB above the start, which is not a leak, and which PlateauWithin(16 MB) fails by contract; and one filling 9 to 15 MB, within the budget, at a steady rate across the end of the 12 s warm-up of the 60 s runs, which every verdict should pass (a 30 s run's 6 s warm-up ends before the fill begins, so most of its judged time is the climb).\n\n", b.cfg.series)
	fmt.Fprintf(w, "| held above start | climb | above budget | PlateauWithin(16 MB) 30 s | 60 s | early, up to 60 s | GrowLessThan(16 MB) 60 s |\n|---|---|---|---|---|---|---|\n")
	row := func(c synth.Class, held, climb string, above bool) {
		fmt.Fprintf(w, "| %s | %s | %s |", held, climb, yesNo(above))
		for _, length := range lengths {
			fmt.Fprintf(w, " %s |", b.failures(func(k int) bool {
				return judge(matchers.PlateauWithin(16*matchers.MB), b.series(c, length, k)) != passed
			}))
		}
		fmt.Fprintf(w, " %s |", b.failures(func(k int) bool {
			return decide(matchers.PlateauWithin(16*matchers.MB), b.series(c, earlyPlan.Max, k)).Verdict != matchers.Passed
		}))
		fmt.Fprintf(w, " %s |\n", b.failures(func(k int) bool {
			return judge(matchers.GrowLessThan(16*matchers.MB), b.series(c, time.Minute, k)) != passed
		}))
	}
	for _, held := range heldSizes {
		for _, climb := range climbs {
			row(synth.Cycles(held*1e6, climb), fmt.Sprintf("%g MB", held), secs(climb), held > 16)
		}
	}
	row(synth.CacheFill(16e6, 48e6), "16 to 48 MB (cache)", "10 to 30 % of the run", true)
	row(synth.SlowFill(9e6, 15e6, 8*time.Second), "9 to 15 MB (slow cache)", "6 to 15 s, from 8 to 12 s", false)
	fmt.Fprintln(w)
}

// failures counts the series k of class c for which failed says true.
func (b *bench) failures(failed func(k int) bool) string {
	n := 0
	for k := range b.cfg.series {
		if failed(k) {
			n++
		}
	}
	return fmt.Sprintf("%d/%d", n, b.cfg.series)
}
