// Command detectbench measures how often leakspec's verdicts are right, at
// their default settings, on seeded synthetic series of known behaviour and
// on real recordings kept under matchers/testdata:
//
//	go run ./cmd/detectbench
//
// It prints, as Markdown tables: the false alarms of each matcher on at
// least 300 leak-free series per class with the 95 % upper bound of their
// rate; the smallest leak rate each matcher catches with at least 80 %
// power in 30 s and in 60 s; the early verdict's confusion matrix and time
// to verdict; how a fast climb to a high bounded level is judged; and the
// verdicts on the real recordings. Every series is a
// pure function of -seed, so a run can be reproduced exactly.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.series, "n", 300, "series per class and rate")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the first series")
	flag.StringVar(&cfg.testdata, "testdata", "matchers/testdata", "directory of real recordings (CSV) and their labels")
	flag.DurationVar(&cfg.interval, "interval", 100*time.Millisecond, "sampling interval of the synthetic series")
	flag.Float64Var(&cfg.noise, "noise", 1, "scale of the synthetic series' white noise and wander")
	flag.Parse()
	if cfg.series < 1 {
		fmt.Fprintln(os.Stderr, "detectbench: -n must be at least 1.")
		os.Exit(2)
	}
	if err := run(os.Stdout, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "detectbench: %v\n", err)
		os.Exit(1)
	}
}

// config is what a run measures.
type config struct {
	series   int
	seed     uint64
	testdata string
	interval time.Duration
	noise    float64
}

func run(w io.Writer, cfg config) error {
	start := time.Now()
	b := newBench(cfg)
	fmt.Fprintf(w, "# leakspec detection benchmark\n\n")
	fmt.Fprintf(w, "%d series per class and rate, seeds %d to %d, sampled every %s; noise on every series: %s. Budgets as a spec would give them; every other setting is the matchers' default.\n\n",
		cfg.series, cfg.seed, cfg.seed+uint64(cfg.series)-1, secs(cfg.interval), b.noiseText())
	b.falseAlarms(w)
	b.power(w)
	b.vouch(w)
	b.confusion(w)
	b.early(w)
	b.cycles(w)
	if err := b.real(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nDone in %.1f s.\n", time.Since(start).Seconds())
	return nil
}
