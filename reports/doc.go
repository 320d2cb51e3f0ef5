// Package reports files what a leakspec run measured, for people and for CI.
//
// Every `go tool ginkgo ./suites/...` run leaves, with no flag, in the report
// directory (reports.dir in ginkgo.yml, LEAKSPEC_REPORT_DIR):
//
//   - <suite>.junit.xml: one testcase per spec, its figures and verdict as
//     testcase properties and, when it failed, the failure message with its
//     text chart, for CI to gate pull requests (see [WriteJUnit]);
//   - <suite>/<spec>.csv: the memory series of each spec with its events
//     (see [WriteCSV]), to plot or to keep as a regression sample;
//   - <suite>/<spec>.png and .svg: the plot of that series (see
//     [WritePlots]);
//   - <suite>/<spec>.log: the worker's own output;
//   - <suite>/<spec>.html: the spec's page, linking every file named
//     <spec>.* beside it (see [WriteIndex]);
//   - <suite>.summary.json: the suite's figures, verdicts and baseline
//     comparisons (see [SuiteSummary]);
//   - summary.json and index.html: the summary and the dashboard of every
//     suite in the directory, totals first, then a row per spec, failures
//     first (see [UpdateIndex]).
//
// [MergeDirs] merges the report directories of CI shards into one, as one
// run over all their specs would have written it (cmd/leakspec merge).
//
// Each suite is a test binary of its own, with its own ReportAfterSuite, so
// each writes its own files and then rebuilds summary.json and index.html
// from every <suite>.summary.json present, under a lock: after the last
// suite of a `go tool ginkgo ./suites/...` run, both cover the whole run.
//
// # Figures, verdicts, baselines
//
// [FiguresOf] reads the figures of a recording (baseline, peak, growth, the
// rise of the peaks, their slope and its bounds, PSS and USS peaks, noise)
// with the matchers' own statistics and defaults (matchers/stats), so a
// report tells the numbers PlateauWithin's message tells at its defaults;
// [PlannedFiguresOf] reads a run that recorded until its verdict was
// certain with the warm-up of its plan. A spec
// files them, its [Judgment]s (the matchers it asserted, with their budgets)
// and its baseline [Comparison] as Ginkgo report entries ([EntryFigures],
// [EntryJudgment], [EntryBaseline]); [SpecOf] reads them back from a spec's
// report, in the spec's process or, under ginkgo -p, on process 1 after they
// crossed as JSON, and [Verdict] sums them up.
//
// [Summary.Compare] holds a spec's peak and slope against the same spec in
// an earlier run's summary, allowing a tolerance and the run-to-run noise,
// so that CI can fail a pull request that made memory worse than main.
//
// The package reads recording.Recording values and Ginkgo's reports; it knows
// nothing of processes, and of the matchers only their pure statistics.
package reports
