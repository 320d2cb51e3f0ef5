// Command repeat runs leakspec's suites several times and tells how
// repeatable their verdicts and figures are: for every spec, the verdicts it
// reached (and how many runs flipped from the commonest), and the spread of
// its peak, growth, rise and slope, read from the summary.json each run
// writes. It also checks, after every run, that the run left no process and
// no container behind.
//
//	go run ./cmd/repeat -n 10                       # go tool ginkgo ./suites/..., ten times
//	go run ./cmd/repeat -n 3 -modes serial,parallel # each time serially and with -p
//	go run ./cmd/repeat -n 10 -- --label-filter=selftest ./suites/selftest
//
// Arguments after -- go to `go tool ginkgo` in place of ./suites/...; the
// command adds --no-color and --keep-going, and -p for the parallel mode.
// Each run writes its reports to <out>/<mode>-NN and its output to
// <out>/<mode>-NN.log; the table goes to standard output and <out>/table.md.
// It exits non-zero when a verdict flipped, when parallel and serial runs
// disagree, or when a run left something behind.
//
// Ctrl-C (SIGINT) or SIGTERM stops it: the signal goes on to the running
// suites, which run their cleanups, no further run starts, and the table
// covers the runs that completed.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/leakspec/leakspec/internal/leftover"
	"github.com/leakspec/leakspec/reports"
)

func main() {
	// A flag set of its own: the packages this command imports pull in
	// Ginkgo, which registers its many flags on the default set, and -h
	// would list them all.
	flags := flag.NewFlagSet("repeat", flag.ExitOnError)
	n := flags.Int("n", 10, "how many times to run the suites")
	modesFlag := flags.String("modes", "serial", "serial, parallel, or both, comma-separated: how each time runs them")
	out := flags.String("out", "leakspec-repeat", "the directory for every run's reports and the table")
	flags.Parse(os.Args[1:])
	args := flags.Args()
	if len(args) == 0 {
		args = []string{"./suites/..."}
	}
	modes := strings.Split(*modesFlag, ",")
	for _, m := range modes {
		if m != "serial" && m != "parallel" {
			fail(fmt.Sprintf("-modes takes serial and parallel, not %q.", m))
		}
	}
	if *n < 1 {
		fail("-n must be at least 1.")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err.Error())
	}
	dir, err := filepath.Abs(*out)
	if err != nil {
		fail(err.Error())
	}

	// The suites run in a session of their own, out of the terminal's
	// reach: Ctrl-C comes here, and is passed on to them.
	interrupts := make(chan os.Signal, 4)
	signal.Notify(interrupts, os.Interrupt, syscall.SIGTERM)
	var obs []observation
	var problems []string
	start := time.Now()
	completed := 0
runs:
	for i := 1; i <= *n; i++ {
		for _, mode := range modes {
			name := fmt.Sprintf("%s-%02d", mode, i)
			got, problem, interrupted := runOnce(dir, name, mode, i, args, interrupts)
			if problem != "" {
				problems = append(problems, problem)
			}
			if interrupted {
				// What an interrupted run found is partial: it is left out.
				problems = append(problems, fmt.Sprintf("%s was interrupted; the table covers the %d runs that completed", name, completed))
				break runs
			}
			obs = append(obs, got...)
			completed++
		}
	}

	rows := tabulate(obs)
	var table bytes.Buffer
	fmt.Fprintf(&table, "%d × %s of `go tool ginkgo %s`, %s, %.0f min in all", *n, strings.Join(modes, " and "),
		strings.Join(args, " "), start.Format("2006-01-02"), time.Since(start).Minutes())
	if total := *n * len(modes); completed < total {
		fmt.Fprintf(&table, "; interrupted after %d of the %d runs", completed, total)
	}
	table.WriteString(".\n\n")
	writeTable(&table, rows, modes)
	fmt.Fprintf(&table, "\n%d flips over %d spec runs.\n", totalFlips(rows), len(obs))
	os.Stdout.Write(table.Bytes())
	if err := os.WriteFile(filepath.Join(dir, "table.md"), table.Bytes(), 0o644); err != nil {
		fail(err.Error())
	}
	if flips := totalFlips(rows); flips > 0 {
		problems = append(problems, fmt.Sprintf("%d verdicts flipped", flips))
	}
	if len(problems) > 0 {
		fail(strings.Join(problems, "; ") + ".")
	}
}

// runOnce runs the suites once, in a session and with a run id of its own,
// and returns every spec's outcome, what went wrong beyond the specs'
// verdicts ("" when nothing did), and whether a signal from interrupts
// came before the run ended; such a signal is passed on to the run's
// process group, and the run is waited for while it cleans up.
func runOnce(dir, name, mode string, i int, args []string, interrupts <-chan os.Signal) ([]observation, string, bool) {
	select {
	case <-interrupts:
		return nil, "", true
	default:
	}
	reportDir := filepath.Join(dir, name)
	if err := os.RemoveAll(reportDir); err != nil {
		fail(err.Error())
	}
	id := leftover.NewID("repeat-" + name)
	argv := []string{"tool", "ginkgo", "--no-color", "--keep-going"}
	if mode == "parallel" {
		argv = append(argv, "-p")
	}
	cmd := exec.Command("go", append(argv, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LEAKSPEC_REPORT_DIR=") && !strings.HasPrefix(kv, leftover.EnvRunID+"=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "LEAKSPEC_REPORT_DIR="+reportDir, leftover.EnvRunID+"="+id)
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		fail(err.Error())
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		fail(fmt.Sprintf("%s: %v", name, err))
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var runErr error
	interrupted := false
	for waiting := true; waiting; {
		select {
		case runErr = <-done:
			waiting = false
		case sig := <-interrupts:
			// Every one is passed on: Ginkgo cleans up after the first and
			// gives up cleaning after more.
			interrupted = true
			fmt.Fprintf(os.Stderr, "repeat: %v: stopping %s, which cleans up first\n", sig, name)
			_ = syscall.Kill(-cmd.Process.Pid, sig.(syscall.Signal))
		}
	}
	fmt.Fprintf(os.Stderr, "repeat: %s ran in %.0f s (%v)\n", name, time.Since(began).Seconds(), exitStatus(runErr))

	var problems []string
	left, err := leftover.Await(context.Background(), id, cmd.Process.Pid, 30*time.Second)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("%s: look for leftovers: %v", name, err))
	case !left.Empty():
		problems = append(problems, fmt.Sprintf("%s left %v", name, left))
	}
	if interrupted {
		return nil, strings.Join(problems, "; "), true
	}
	s, err := reports.ReadSummary(reportDir)
	if err != nil {
		return nil, strings.Join(append(problems, fmt.Sprintf("%s: %v", name, err)), "; "), false
	}
	var obs []observation
	for _, suite := range s.Suites {
		for _, spec := range suite.Specs {
			if spec.State == "skipped" && spec.Figures == nil {
				continue
			}
			obs = append(obs, observation{run: i, mode: mode, suite: suite.Suite, spec: spec})
		}
	}
	return obs, strings.Join(problems, "; "), false
}

// exitStatus words how a run ended.
func exitStatus(err error) string {
	if err == nil {
		return "passed"
	}
	return err.Error()
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "repeat: "+msg)
	os.Exit(1)
}
