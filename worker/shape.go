package worker

import (
	"context"
	"errors"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

// Running is a worker that leakspec started: a *Process, or an adapter's
// worker type, which embeds one (rq.Worker, celery.Worker, ...). Whatever
// records or stops a worker takes a Running, so that one path serves every
// system and any plain command.
type Running interface {
	// Proc returns the worker's process group leader.
	Proc() *Process
}

// Proc returns p itself, so that a *Process, and every type that embeds
// one, is a Running.
func (p *Process) Proc() *Process { return p }

// EventSource is a worker that notes its own events (a retry, a dead
// letter, a task's outcome) on a recording once it is given one.
type EventSource interface {
	// RecordTo sends the worker's events from now on to r.
	RecordTo(r *Recorder)
}

// Prober is a worker whose samples can carry more than /proc tells, such as
// a Go worker's live heap. The sampler calls the probe on every sample.
type Prober interface {
	// Probe returns a probe for SamplerConfig.Probe whose every call takes
	// at most timeout.
	Probe(timeout time.Duration) func(*recording.Sample) error
}

// HeapProfiler is a worker that can write a profile of its heap, so that a
// recording can keep one from its start and one from its end and name what
// grew between them.
type HeapProfiler interface {
	// WriteHeapProfile writes the worker's heap profile to path.
	WriteHeapProfile(ctx context.Context, path string) error
	// HeapGrowth words the growth between two profiles it wrote, top
	// growers first.
	HeapGrowth(before, after string) (string, error)
}

// ErrNotInstalled is what the start errors of the adapters match when their
// worker system cannot run on this machine (its Python package or program
// is missing): a suite may then skip the system's specs rather than fail.
var ErrNotInstalled = errors.New("the worker system is not installed")

// Defaults are what a suite fills in for the options a spec leaves empty:
// the adapters' option types take them in their Start method, so that one
// start path serves every system.
type Defaults struct {
	// Python is the configured interpreter.
	Python string
	// AppsDir returns the directory of a system's scenario apps ("rq",
	// "celery", "dramatiq").
	AppsDir func(system string) string
	// RedisURL is the suite process's Redis.
	RedisURL string
	// LogPath is the spec's log file.
	LogPath string
	// PythonPath holds directories to put first on a Python worker's
	// PYTHONPATH, and Env "KEY=value" entries for every worker's
	// environment, ahead of the options' own.
	PythonPath []string
	Env        []string
	// GoProgram builds the Go program of a package, named by import path,
	// and returns its executable.
	GoProgram func(ctx context.Context, pkg string) (string, error)
}

// or returns v, or def when v is empty: how an option takes its default.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
