// Package pyheap says what holds the memory of a Python worker: which lines
// allocated what grew between two moments, what keeps the largest new
// objects alive, and how much of it was only garbage waiting for the cyclic
// collector.
//
// It needs no change to the worker's app. Install writes a small probe (a
// sitecustomize module, embedded in this package) into a directory; a
// worker started with Probe.Apply, or with Probe.PythonPath first on its
// PYTHONPATH and Probe.Env in its environment, runs it at start-up. The
// probe listens on a Unix socket, <dir>/<pid>.sock, in every Python process
// of the worker, forked children included (Celery's prefork pool,
// Dramatiq's worker processes), and answers one JSON command per
// connection. Until Start it only listens: tracemalloc, which slows
// allocation, is started after the spec's warm-up.
//
//	probe, err := pyheap.Install(t.TempDir())
//	p, err := worker.Start(ctx, probe.Apply(rq.WorkerCommand(opts)))
//	// warm-up
//	err = probe.Start(ctx)
//	before, err := probe.Snapshot(ctx, "before")
//	// load
//	report, err := probe.Report(ctx, before)
//	fmt.Println(report.Text())
//
// An app with its own sitecustomize keeps it: Python imports only the first
// sitecustomize on sys.path, which is the probe's, and the probe then runs
// the next one it finds on sys.path.
package pyheap
