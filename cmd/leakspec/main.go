// Command leakspec works on the report directories leakspec's suites leave.
//
//	go run github.com/leakspec/leakspec/cmd/leakspec merge shard-1 shard-2 -out merged
//
// merge merges the report directories of runs that shared out the specs of
// the same suites, as CI's shards do (a matrix over labels, say), into one:
// one summary.json, which is also the baseline the next run compares with
// (reports.baseline, LEAKSPEC_BASELINE), one JUnit file per suite, every
// spec's files, and one index.html over all of it. A spec is taken from the
// shard that ran it; the shards left the others out as skipped. A spec that
// ran in two shards, or a directory without a suite summary, is an error.
// See reports.MergeDirs.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leakspec/leakspec/reports"
)

const usage = `usage: leakspec merge DIR... -out DIR

Merges the report directories of runs that each ran part of the specs
(CI shards) into one: summary.json (the next baseline), index.html, one
JUnit file per suite, and every spec's files.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "leakspec:", err)
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("wrong arguments")

// run runs the command line args (without the program's name), telling
// what it did on w.
func run(args []string, w io.Writer, now time.Time) error {
	if len(args) == 0 || args[0] != "merge" {
		return fmt.Errorf("the only command is merge: %w", errUsage)
	}
	out, dirs, err := mergeArgs(args[1:])
	if err != nil {
		return err
	}
	if err := reports.MergeDirs(out, dirs, now); err != nil {
		return err
	}
	s, err := reports.ReadSummary(filepath.Join(out, reports.SummaryFile))
	if err != nil {
		return err
	}
	counts := map[string]int{}
	specs := 0
	for _, suite := range s.Suites {
		for _, spec := range suite.Specs {
			counts[reports.Outcome(spec)]++
			specs++
		}
	}
	var parts []string
	for _, o := range []string{reports.OutcomeFailed, reports.OutcomeRegressed, reports.OutcomeInconclusive,
		reports.OutcomeCaught, reports.OutcomePassed, reports.OutcomeSkipped} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	fmt.Fprintf(w, "Merged %s into %s: %s in %s (%s).\nOpen %s; keep %s as the next baseline.\n",
		plural(len(dirs), "report directory", "report directories"), out, plural(specs, "spec", "specs"),
		plural(len(s.Suites), "suite", "suites"), strings.Join(parts, ", "),
		filepath.Join(out, reports.IndexFile), filepath.Join(out, reports.SummaryFile))
	return nil
}

// mergeArgs reads merge's arguments: directories, and -out DIR (or
// --out, -out=DIR) anywhere among them, since the usage puts it last and
// the flag package stops at the first directory.
func mergeArgs(args []string) (out string, dirs []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			return "", nil, errUsage
		case a == "-out" || a == "--out":
			if i+1 == len(args) {
				return "", nil, fmt.Errorf("-out needs a directory: %w", errUsage)
			}
			out = args[i+1]
			i++
		case strings.HasPrefix(a, "-out=") || strings.HasPrefix(a, "--out="):
			out = a[strings.IndexByte(a, '=')+1:]
		case strings.HasPrefix(a, "-"):
			return "", nil, fmt.Errorf("merge has no flag %s: %w", a, errUsage)
		default:
			dirs = append(dirs, a)
		}
	}
	switch {
	case out == "":
		return "", nil, fmt.Errorf("merge needs -out DIR, the directory to write the merge to: %w", errUsage)
	case len(dirs) == 0:
		return "", nil, fmt.Errorf("merge needs the report directories to merge: %w", errUsage)
	}
	return out, dirs, nil
}

// plural writes n things, in the singular for one.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
