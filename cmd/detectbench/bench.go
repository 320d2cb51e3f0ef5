package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/internal/synth"
	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// subject is a matcher at its default settings, as the tables name it.
type subject struct {
	name string
	m    types.GomegaMatcher
}

// The matchers measured, with the budgets a spec would typically give them.
func subjects() []subject {
	return []subject{
		{"PlateauWithin(16 MB)", matchers.PlateauWithin(16 * matchers.MB)},
		{"GrowLessThan(16 MB)", matchers.GrowLessThan(16 * matchers.MB)},
		{"HaveSlopeBelow(10 MB/min)", matchers.HaveSlopeBelow(matchers.MBPerMinute(10))},
	}
}

// lengths are the run lengths measured.
var lengths = []time.Duration{30 * time.Second, 60 * time.Second}

// rates are the leak rates, in MB a minute, that power is measured at.
var rates = []float64{1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256}

// earlyPlan is the early verdict measured: up to a minute, six looks.
var earlyPlan = matchers.Plan{Max: time.Minute}

// outcome is how one judgement came out.
type outcome int

const (
	passed outcome = iota
	failed
	inconclusive
	// notShown is a failure of HaveSlopeBelow because the run could not
	// show the slope below the rate, without showing it above.
	notShown
)

// words are the outcomes as the tables print them.
var words = []string{"pass", "fail", "inconclusive", "fail (not shown)"}

type bench struct {
	cfg   config
	noise synth.Noise
}

func newBench(cfg config) *bench {
	return &bench{cfg: cfg, noise: synth.DefaultNoise.Scaled(cfg.noise)}
}

func (b *bench) noiseText() string {
	n := b.noise
	return fmt.Sprintf("white %.1f MB, a wander of %.1f MB with a correlation time of %s, RSS in whole pages of %.0f bytes", n.White/1e6, n.Wander/1e6, secs(n.WanderTime), n.Page)
}

// series returns the k-th series of a class.
func (b *bench) series(c synth.Class, length time.Duration, k int) recording.Recording {
	return synth.Series(c, b.noise, length, b.cfg.interval, b.cfg.seed+uint64(k))
}

// judge returns how m judged rec.
func judge(m types.GomegaMatcher, rec recording.Recording) outcome {
	ok, err := m.Match(rec)
	switch {
	case err != nil && strings.Contains(err.Error(), "inconclusive"):
		return inconclusive
	case err != nil:
		panic(fmt.Sprintf("judge %s: %v", rec.Name, err))
	case ok:
		return passed
	case strings.Contains(m.FailureMessage(rec), "too short or too noisy to show it"):
		return notShown
	default:
		return failed
	}
}

// secs prints a duration as "30 s".
func secs(d time.Duration) string { return fmt.Sprintf("%g s", d.Seconds()) }

// falseAlarms prints how often each matcher fails leak-free series.
func (b *bench) falseAlarms(w io.Writer) {
	classes := synth.LeakFree()
	fmt.Fprintf(w, "## False alarms on leak-free series\n\n")
	fmt.Fprintf(w, "A false alarm is a failure, inconclusive included, of a series that does not leak.\n\n")
	fmt.Fprintf(w, "| matcher | run |")
	for _, c := range classes {
		fmt.Fprintf(w, " %s |", c.Name)
	}
	fmt.Fprintf(w, " all | 95 %% upper bound |\n|---|---|%s---|---|\n", strings.Repeat("---|", len(classes)))
	for _, s := range subjects() {
		for _, length := range lengths {
			fmt.Fprintf(w, "| %s | %s |", s.name, secs(length))
			total, n := 0, 0
			for _, c := range classes {
				fails := 0
				for k := range b.cfg.series {
					if judge(s.m, b.series(c, length, k)) != passed {
						fails++
					}
				}
				fmt.Fprintf(w, " %d/%d |", fails, b.cfg.series)
				total, n = total+fails, n+b.cfg.series
			}
			fmt.Fprintf(w, " %d/%d | %.2f %% |\n", total, n, 100*upperBound(total, n))
		}
	}
	fmt.Fprintln(w)
}

// power prints the smallest leak rate each matcher catches with at least
// 80 % power.
func (b *bench) power(w io.Writer) {
	leaks := []func(float64) synth.Class{synth.LinearLeak, synth.RatchetingSawtooth}
	fmt.Fprintf(w, "## Smallest leak caught with at least 80 %% power\n\n")
	fmt.Fprintf(w, "The smallest rate of the grid %v MB/min from which on every rate is caught in at least 80 %% of the series; the power at that rate in brackets.\n\n", rates)
	fmt.Fprintf(w, "| matcher | class | 30 s | 60 s |\n|---|---|---|---|\n")
	for _, s := range subjects() {
		for _, leak := range leaks {
			fmt.Fprintf(w, "| %s | %s |", s.name, leak(1).Name)
			for _, length := range lengths {
				power := make([]float64, len(rates))
				for i, rate := range rates {
					caught := 0
					for k := range b.cfg.series {
						if judge(s.m, b.series(leak(rate*1e6), length, k)) == failed {
							caught++
						}
					}
					power[i] = float64(caught) / float64(b.cfg.series)
				}
				fmt.Fprintf(w, " %s |", smallestCaught(power))
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
}

// smallestCaught words the smallest rate from which on power stays at or
// above 80 %.
func smallestCaught(power []float64) string {
	i := len(power)
	for i > 0 && power[i-1] >= 0.8 {
		i--
	}
	if i == len(power) {
		return fmt.Sprintf("above %g MB/min", rates[len(rates)-1])
	}
	return fmt.Sprintf("%g MB/min (%.0f %%)", rates[i], 100*power[i])
}

// vouch prints the smallest rate HaveSlopeBelow passes leak-free series
// at: it passes only when a run shows the slope below its rate, so a rate
// must stand clear of what the noise can do in a run of that length.
func (b *bench) vouch(w io.Writer) {
	classes := synth.LeakFree()
	fmt.Fprintf(w, "## Rates HaveSlopeBelow can vouch for\n\n")
	fmt.Fprintf(w, "The smallest rate of the grid that HaveSlopeBelow passes 95 %% and 100 %% of the leak-free series at, by class.\n\n")
	fmt.Fprintf(w, "| run |")
	for _, c := range classes {
		fmt.Fprintf(w, " %s |", c.Name)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(classes)))
	for _, length := range lengths {
		fmt.Fprintf(w, "| %s |", secs(length))
		for _, c := range classes {
			var least []float64
			for k := range b.cfg.series {
				rec := b.series(c, length, k)
				i := 0
				for i < len(rates) && judge(matchers.HaveSlopeBelow(matchers.MBPerMinute(rates[i])), rec) != passed {
					i++
				}
				least = append(least, append(rates, math.Inf(1))[i])
			}
			slices.Sort(least)
			fmt.Fprintf(w, " %s / %s |", rate(least[int(math.Ceil(0.95*float64(len(least))))-1]), rate(least[len(least)-1]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// rate prints a rate of the grid in MB a minute.
func rate(r float64) string {
	if math.IsInf(r, 1) {
		return fmt.Sprintf("> %g MB/min", rates[len(rates)-1])
	}
	return fmt.Sprintf("%g MB/min", r)
}

// rows are the classes of the confusion matrices: the leak-free ones, and
// each leak at a slow and a fast rate.
func rows() []synth.Class {
	classes := synth.LeakFree()
	for _, rate := range []float64{16, 64} {
		for _, c := range []synth.Class{synth.LinearLeak(rate * 1e6), synth.RatchetingSawtooth(rate * 1e6)} {
			c.Name = fmt.Sprintf("%s, %g MB/min", c.Name, rate)
			classes = append(classes, c)
		}
	}
	return classes
}

// confusion prints, for each matcher over a minute, how each class was
// judged.
func (b *bench) confusion(w io.Writer) {
	fmt.Fprintf(w, "## Confusion matrix, runs of 60 s\n\n")
	fmt.Fprintf(w, "pass / fail / inconclusive, out of %d series per class; for HaveSlopeBelow the last counts the runs that fail because they could not show the slope below the rate, without showing it above.\n\n", b.cfg.series)
	fmt.Fprintf(w, "| class | leaks |")
	for _, s := range subjects() {
		fmt.Fprintf(w, " %s |", s.name)
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---|", len(subjects())))
	for _, c := range rows() {
		fmt.Fprintf(w, "| %s | %s |", c.Name, yesNo(c.Leak))
		for _, s := range subjects() {
			var counts [4]int
			for k := range b.cfg.series {
				counts[judge(s.m, b.series(c, time.Minute, k))]++
			}
			fmt.Fprintf(w, " %d / %d / %d |", counts[passed], counts[failed], counts[inconclusive]+counts[notShown])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// early prints how the early verdict of PlateauWithin(16 MB) decides each
// class, and when.
func (b *bench) early(w io.Writer) {
	m := matchers.PlateauWithin(16 * matchers.MB)
	looks := earlyPlan.Looks
	if looks == 0 {
		looks = matchers.DefaultLooks
	}
	fmt.Fprintf(w, "## Early verdict: PlateauWithin(16 MB), up to %s, %d looks\n\n", secs(earlyPlan.Max), looks)
	fmt.Fprintf(w, "| class | leaks | pass | fail | time to verdict p50 | p95 |\n|---|---|---|---|---|---|\n")
	for _, c := range rows() {
		var counts [2]int
		var times []time.Duration
		for k := range b.cfg.series {
			d := decide(m, b.series(c, earlyPlan.Max, k))
			switch d.Verdict {
			case matchers.Passed:
				counts[passed]++
			default:
				counts[failed]++
			}
			times = append(times, d.At)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s |\n", c.Name, yesNo(c.Leak), counts[passed], counts[failed],
			secs(percentile(times, 0.5)), secs(percentile(times, 0.95)))
	}
	fmt.Fprintln(w)
}

// decide replays a finished recording to Decide as a spec polling it would
// see it, and returns the first decision. Without a StayBelow or an abort
// nothing can stop a run between looks, so it is enough to show Decide the
// recording as it stood when each look's first sample arrived.
func decide(m types.GomegaMatcher, rec recording.Recording) matchers.Decision {
	plan := earlyPlan
	plan.Max = min(plan.Max, rec.Samples[len(rec.Samples)-1].At)
	looks := plan.Looks
	if looks == 0 {
		looks = matchers.DefaultLooks
	}
	snapshot := rec
	i := 0
	for k := 1; k <= looks; k++ {
		at := time.Duration(float64(plan.Max) * float64(k) / float64(looks))
		for i < len(rec.Samples)-1 && rec.Samples[i].At < at {
			i++
		}
		snapshot.Samples = rec.Samples[:i+1]
		snapshot.Duration = rec.Samples[i].At
		d, err := matchers.Decide(snapshot, plan, m)
		if err != nil {
			panic(fmt.Sprintf("decide %s: %v", rec.Name, err))
		}
		if d.Verdict != matchers.Undecided {
			return d
		}
	}
	panic(fmt.Sprintf("decide %s: no verdict at the end of the recording", rec.Name))
}

// upperBound returns the one-sided 95 % Clopper–Pearson upper bound of a
// rate of which x of n trials came out: for x = 0, 1 - 0.05^(1/n), about
// 3/n.
func upperBound(x, n int) float64 {
	lo, hi := float64(x)/float64(n), 1.0
	for range 100 {
		mid := (lo + hi) / 2
		if binomialCDF(x, n, mid) > 0.05 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// binomialCDF returns the probability of at most x successes in n trials of
// probability p.
func binomialCDF(x, n int, p float64) float64 {
	var sum float64
	for k := 0; k <= x; k++ {
		lg, _ := math.Lgamma(float64(n + 1))
		lk, _ := math.Lgamma(float64(k + 1))
		lnk, _ := math.Lgamma(float64(n - k + 1))
		sum += math.Exp(lg - lk - lnk + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
	}
	return sum
}

// percentile returns the nearest-rank percentile q of ds.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[max(0, int(math.Ceil(q*float64(len(s))))-1)]
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
