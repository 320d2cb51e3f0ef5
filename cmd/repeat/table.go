package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/leakspec/leakspec/reports"
)

// observation is one spec's outcome in one run.
type observation struct {
	run  int
	mode string
	spec reports.SpecSummary
	// suite is the suite the spec belongs to.
	suite string
}

// row is one spec's line of the table: its verdicts over every run and the
// spread of its figures.
type row struct {
	suite, name string
	// verdicts counts each verdict's runs, by mode then verdict.
	verdicts map[string]map[string]int
	// verdict is the commonest verdict over all runs and modes, flips the
	// runs that reached another.
	verdict                   string
	flips                     int
	runs                      int
	peak, growth, rise, slope []float64
}

// verdictOf is what counts as a spec's verdict from run to run: the words
// before the colon of reports.Verdict ("pass", "fail", "leak caught",
// "aborted", ...), since what follows may hold figures of that run.
func verdictOf(s reports.SpecSummary) string {
	v, _, _ := strings.Cut(s.Verdict, ":")
	if v == "" {
		v = s.State
	}
	return v
}

// tabulate gathers observations into rows, in suite and spec order.
func tabulate(obs []observation) []*row {
	byKey := map[string]*row{}
	var rows []*row
	for _, o := range obs {
		key := o.suite + "\x00" + o.spec.File
		r, ok := byKey[key]
		if !ok {
			r = &row{suite: o.suite, name: o.spec.Name, verdicts: map[string]map[string]int{}}
			byKey[key] = r
			rows = append(rows, r)
		}
		if r.verdicts[o.mode] == nil {
			r.verdicts[o.mode] = map[string]int{}
		}
		r.verdicts[o.mode][verdictOf(o.spec)]++
		r.runs++
		if f := o.spec.Figures; f != nil {
			r.peak = append(r.peak, mb(float64(f.Peak)))
			r.growth = append(r.growth, mb(float64(f.Growth)))
			if f.Slope != nil {
				r.rise = append(r.rise, mb(f.Rise))
				r.slope = append(r.slope, mb(*f.Slope))
			}
		}
	}
	for _, r := range rows {
		all := map[string]int{}
		for _, counts := range r.verdicts {
			for v, n := range counts {
				all[v] += n
			}
		}
		best := 0
		for _, v := range sortedKeys(all) {
			if all[v] > best {
				r.verdict, best = v, all[v]
			}
		}
		r.flips = r.runs - best
	}
	slices.SortStableFunc(rows, func(a, b *row) int {
		if c := strings.Compare(a.suite, b.suite); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return rows
}

// mb turns bytes into decimal megabytes.
func mb(bytes float64) float64 { return bytes / 1e6 }

// spread prints min / median / max of values with one decimal, or "—".
func spread(values []float64) string {
	if len(values) == 0 {
		return "—"
	}
	v := slices.Clone(values)
	slices.Sort(v)
	median := v[len(v)/2]
	if len(v)%2 == 0 {
		median = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return fmt.Sprintf("%.1f / %.1f / %.1f", v[0], median, v[len(v)-1])
}

// verdictCell prints the verdicts of a row by mode, such as "pass 10" or
// "serial: pass 3; parallel: pass 2, fail 1".
func verdictCell(r *row, modes []string) string {
	var parts []string
	for _, mode := range modes {
		counts := r.verdicts[mode]
		if counts == nil {
			continue
		}
		var cs []string
		for _, v := range sortedKeys(counts) {
			cs = append(cs, fmt.Sprintf("%s %d", v, counts[v]))
		}
		cell := strings.Join(cs, ", ")
		if len(modes) > 1 {
			cell = mode + ": " + cell
		}
		parts = append(parts, cell)
	}
	return strings.Join(parts, "; ")
}

// writeTable writes rows as a Markdown table.
func writeTable(w io.Writer, rows []*row, modes []string) {
	fmt.Fprintln(w, "| suite | spec | verdicts | flips | peak MB | growth MB | rise MB | slope MB/min |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %s | %s | %s |\n", r.suite, strings.ReplaceAll(r.name, "|", `\|`),
			verdictCell(r, modes), r.flips, spread(r.peak), spread(r.growth), spread(r.rise), spread(r.slope))
	}
}

// totalFlips is the flips of every row.
func totalFlips(rows []*row) int {
	n := 0
	for _, r := range rows {
		n += r.flips
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
