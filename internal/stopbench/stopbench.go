// Package stopbench is the loop that the stop benchmarks of package worker
// and of each adapter share: it times a worker's Stop alone, on a worker
// started afresh for every iteration outside the timer, which is what a
// spec pays between the end of its recording and the next spec.
package stopbench

import "testing"

// Stopper is a started worker: a *worker.Process, or an adapter's Worker
// that embeds one.
type Stopper interface {
	comparable
	Stop() error
}

// Run times Stop on the worker that start starts, anew for each iteration.
// When start fails, what it returned is stopped, if anything, so that no
// worker outlives the benchmark, and the benchmark fails.
func Run[W Stopper](b *testing.B, start func() (W, error)) {
	b.Helper()
	for b.Loop() {
		b.StopTimer()
		w, err := start()
		if err != nil {
			var none W
			if w != none {
				_ = w.Stop()
			}
			b.Fatal(err)
		}
		b.StartTimer()
		if err := w.Stop(); err != nil {
			b.Fatal(err)
		}
	}
}
