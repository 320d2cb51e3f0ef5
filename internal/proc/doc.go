// Package proc reads the few /proc files that leakspec's sampler needs, one
// file per /proc file as prometheus/procfs lays them out, but cheaply: a
// sampler reads them ten or a hundred times a second, next to the worker it
// measures, so a Reader opens each file with one system call, reads it into
// a buffer it keeps, and parses only the fields asked for, without
// allocating.
//
// A process that exits while it is read is not an error like any other:
// Vanished tells it apart, since children come and go all the time.
//
// A Reader is not safe for concurrent use; a sampler owns one.
package proc
