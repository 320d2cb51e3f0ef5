package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/matchers/stats"
)

// A baseline comparison holds a spec's peak and slope against the same
// spec's on an earlier run, typically the main branch's last run, so that CI
// can say "this pull request made memory worse than main" even while the
// spec is still within its absolute budget.
//
// Memory figures are noisy from run to run (the allocator, the garbage
// collector, what else the machine runs), so a figure regresses only when it
// exceeds the baseline's by more than all of:
//
//   - the tolerance, a share of the baseline's figure (20 % by default);
//   - three times the noise, where the noise adds up (as independent
//     errors do, in quadrature) the scatter of this run's peaks around
//     their local level (Figures.PeakNoise), the same scatter on the baseline run, and the spread of
//     the figure over the baseline's earlier runs, which a summary kept as
//     the next baseline carries along (up to maxHistory runs);
//   - a floor of 1 MB (for the slope: 1 MB over the time judged), below
//     which no difference is worth a failure.
//
// With several earlier runs, the baseline's figure is their median.
const (
	noiseSigmas   = 3
	maxHistory    = 10
	minRegression = float64(bytesize.MB)
)

// Point is one earlier run of a spec, as a baseline remembers it.
type Point struct {
	Started    time.Time `json:"started"`
	Peak       uint64    `json:"peak_bytes"`
	PeakNoise  float64   `json:"peak_noise_bytes"`
	Slope      *float64  `json:"slope_bytes_per_min,omitempty"`
	SlopeNoise float64   `json:"slope_noise_bytes_per_min"`
}

// Check is one figure held against the baseline.
type Check struct {
	// Figure is "peak" (bytes) or "slope" (bytes per minute).
	Figure string `json:"figure"`
	// Now is this run's figure and Reference the baseline's, the median
	// over Runs runs of the spec.
	Now       float64 `json:"now"`
	Reference float64 `json:"reference"`
	Runs      int     `json:"runs"`
	// Tolerance is the share of Reference allowed, Noise the combined noise
	// (one standard deviation), and Allowed the most Now may be.
	Tolerance float64 `json:"tolerance"`
	Noise     float64 `json:"noise"`
	Allowed   float64 `json:"allowed"`
	Regressed bool    `json:"regressed"`
}

// Comparison is a spec's figures held against a baseline run.
type Comparison struct {
	// Baseline names the summary compared with.
	Baseline string  `json:"baseline"`
	Checks   []Check `json:"checks"`
	// History is the baseline's runs of the spec, oldest first, at most
	// maxHistory; the summary of this run carries it along.
	History []Point `json:"history"`
}

// Regressions returns the checks that failed.
func (c Comparison) Regressions() []Check {
	var failed []Check
	for _, check := range c.Checks {
		if check.Regressed {
			failed = append(failed, check)
		}
	}
	return failed
}

// Message is the failure message of a spec that regressed: one sentence
// naming each regression with its numbers, and where the baseline came
// from. It is empty when nothing regressed.
func (c Comparison) Message() string {
	failed := c.Regressions()
	if len(failed) == 0 {
		return ""
	}
	parts := make([]string, len(failed))
	for i, check := range failed {
		parts[i] = check.String()
	}
	return fmt.Sprintf("Expected memory to be no worse than on the baseline, but it regressed: %s.\nThe baseline is %s, with %s of this spec.",
		strings.Join(parts, "; "), c.Baseline, count(len(c.History), "run"))
}

// String tells a check in numbers: "peak 412.0 MB vs 250.0 MB on the
// baseline, +65 %, above the 300.0 MB allowed (tolerance 20 %, noise ±1.2 MB)".
func (c Check) String() string {
	on := "on the baseline"
	if c.Runs > 1 {
		on = fmt.Sprintf("on the baseline (median of %d runs)", c.Runs)
	}
	tolerance := fmt.Sprintf("%g %%", math.Round(c.Tolerance*1000)/10)
	if c.Figure == "slope" {
		return fmt.Sprintf("slope %s vs %s %s, %+.1f MB/min, above the %s allowed (tolerance %s, noise ±%s)",
			perMinute(c.Now), perMinute(c.Reference), on, (c.Now-c.Reference)/float64(bytesize.MB),
			perMinute(c.Allowed), tolerance, perMinute(c.Noise))
	}
	return fmt.Sprintf("peak %s vs %s %s, %s, above the %s allowed (tolerance %s, noise ±%s)",
		megabytes(c.Now), megabytes(c.Reference), on, percent(c.Now, c.Reference),
		megabytes(c.Allowed), tolerance, megabytes(c.Noise))
}

// Short tells a check in a few words, for a verdict: "peak +65 % on the
// baseline".
func (c Check) Short() string {
	if c.Figure == "slope" {
		return fmt.Sprintf("slope %+.1f MB/min on the baseline", (c.Now-c.Reference)/float64(bytesize.MB))
	}
	return "peak " + percent(c.Now, c.Reference) + " on the baseline"
}

// Compare holds now, the figures of the spec whose files are named file in
// suite, against the same spec in the baseline summary, with the given
// tolerance (0.2 for 20 %). source names the baseline in messages. It
// returns false when the baseline has no figures for that spec: a new spec
// has nothing to regress from.
func (s Summary) Compare(source, suite, file string, now Figures, tolerance float64) (Comparison, bool) {
	var points []Point
	for _, ss := range s.Suites {
		if ss.Suite != suite {
			continue
		}
		for _, spec := range ss.Specs {
			if spec.File == file && spec.Figures != nil && spec.Figures.Samples > 0 {
				points = append(slices.Clone(spec.History), pointOf(ss.Started, *spec.Figures))
			}
		}
	}
	if len(points) == 0 {
		return Comparison{}, false
	}
	points = points[max(0, len(points)-maxHistory):]
	c := Comparison{Baseline: source, History: points}

	peaks, peakNoises := make([]float64, len(points)), make([]float64, len(points))
	var slopes, slopeNoises []float64
	for i, p := range points {
		peaks[i], peakNoises[i] = float64(p.Peak), p.PeakNoise
		if p.Slope != nil {
			slopes, slopeNoises = append(slopes, *p.Slope), append(slopeNoises, p.SlopeNoise)
		}
	}
	c.Checks = append(c.Checks, check("peak", float64(now.Peak), peaks, peakNoises, now.PeakNoise, tolerance, minRegression))
	if now.Slope != nil && len(slopes) > 0 && now.JudgedS > 0 {
		floor := minRegression / (now.JudgedS / 60)
		c.Checks = append(c.Checks, check("slope", *now.Slope, slopes, slopeNoises, now.SlopeNoise, tolerance, floor))
	}
	return c, true
}

// check holds one figure against the baseline's runs of it.
func check(figure string, now float64, runs, runNoises []float64, nowNoise, tolerance, floor float64) Check {
	reference := stats.Median(runs)
	noise := math.Sqrt(sq(stats.Median(runNoises)) + sq(nowNoise) + sq(stddev(runs)))
	allowed := reference + max(tolerance*math.Abs(reference), noiseSigmas*noise, floor)
	return Check{Figure: figure, Now: now, Reference: reference, Runs: len(runs), Tolerance: tolerance,
		Noise: noise, Allowed: allowed, Regressed: now > allowed}
}

func pointOf(started time.Time, f Figures) Point {
	return Point{Started: started, Peak: f.Peak, PeakNoise: f.PeakNoise, Slope: f.Slope, SlopeNoise: f.SlopeNoise}
}

// stddev returns the sample standard deviation of v, 0 for fewer than two
// values.
func stddev(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	var mean float64
	for _, x := range v {
		mean += x / float64(len(v))
	}
	var sum float64
	for _, x := range v {
		sum += sq(x - mean)
	}
	return math.Sqrt(sum / float64(len(v)-1))
}

func sq(x float64) float64 { return x * x }

// megabytes prints bytes as "412.0 MB".
func megabytes(b float64) string { return fmt.Sprintf("%.1f MB", b/float64(bytesize.MB)) }

// perMinute prints bytes per minute as "480.2 MB/min".
func perMinute(b float64) string { return mbValue(b) + " MB/min" }

// percent prints how much now exceeds reference as "+65 %".
func percent(now, reference float64) string {
	if reference <= 0 {
		return fmt.Sprintf("%+.1f MB", (now-reference)/float64(bytesize.MB))
	}
	return fmt.Sprintf("%+.0f %%", (now-reference)/reference*100)
}

// count prints n things, as "1 run" or "3 runs".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
