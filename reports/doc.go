// Package reports files what a leakspec run measured, for people and for CI.
//
// Every `go tool ginkgo ./suites/...` run leaves, with no flag, in the report
// directory (reports.dir in ginkgo.yml, LEAKSPEC_REPORT_DIR):
//
//   - <suite>.junit.xml: one testcase per spec, for CI to gate pull requests
//     (see [WriteJUnit]);
//   - <suite>/<spec>.csv: the memory series of each spec with its events
//     (see [WriteCSV]), to plot or to keep as a regression sample;
//   - <suite>/<spec>.log: the worker's own output.
//
// The package reads a recording.Recording and Ginkgo's report; it knows
// nothing of processes.
package reports
