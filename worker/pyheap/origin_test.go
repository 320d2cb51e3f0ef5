package pyheap_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker/dramatiq"
	"github.com/leakspec/leakspec/worker/pyheap"
)

// TestDramatiqOriginChain runs the origin investigation's actor on the
// release that leaked, Dramatiq 2.0.0 (a checkout in
// LEAKSPEC_DRAMATIQ_ORIGIN, /tmp/dramatiq-2.0.0 by default), and shows
// what the probe says keeps the exceptions of an async actor alive.
func TestDramatiqOriginChain(t *testing.T) {
	checkout := os.Getenv("LEAKSPEC_DRAMATIQ_ORIGIN")
	if checkout == "" {
		checkout = "/tmp/dramatiq-2.0.0"
	}
	check := exec.CommandContext(t.Context(), python(), "-c", "import dramatiq; assert dramatiq.__version__ == '2.0.0', dramatiq.__version__")
	check.Env = append(os.Environ(), "PYTHONPATH="+checkout)
	if out, err := check.CombinedOutput(); err != nil {
		t.Skipf("no Dramatiq 2.0.0 at %s (%v: %s); set LEAKSPEC_DRAMATIQ_ORIGIN to a checkout of it", checkout, err, out)
	}
	t.Setenv("PYTHONPATH", checkout)
	apps, err := filepath.Abs(filepath.Join("..", "..", "fixtures", "dramatiq"))
	if err != nil {
		t.Fatal(err)
	}
	probe := installProbe(t)
	rdb := redistest.Client(t)
	startProcess(t, probe, dramatiq.WorkerCommand(dramatiq.WorkerOptions{
		Python: python(), Dir: apps, Module: "origin_actors", RedisURL: redistest.URL(rdb),
		LogPath: filepath.Join(t.TempDir(), "worker.log"),
	}), 2)
	ctx := t.Context()
	if err := probe.Start(ctx, 0); err != nil {
		t.Fatal(err)
	}
	before, err := probe.Snapshot(ctx, "before")
	if err != nil {
		t.Fatal(err)
	}
	q := dramatiq.NewQueue(rdb, "default")
	const n = 6
	zero := 0
	for range n {
		if _, err := q.Enqueue(ctx, dramatiq.Message{Actor: "raise_holding_async", Args: []any{8, 0.05},
			Options: dramatiq.Options{MaxRetries: &zero}}); err != nil {
			t.Fatal(err)
		}
	}
	// A bounded wait: a test that hangs until go test's -timeout kills its
	// binary runs no cleanup, and the worker processes, which the leader's
	// Pdeathsig does not reach, outlive it.
	progress, err := q.WaitFinished(waitCtx(t), n, 0)
	if err != nil {
		t.Fatal(err)
	}
	if progress.Dead < n {
		t.Fatalf("%d of the %d messages were dead-lettered (%s), want all: each raises and has no retry", progress.Dead, n, progress)
	}
	report, err := probe.Report(ctx, before, pyheap.Options{Retainers: pyheap.RetainerLimits{Objects: 6, MinBytes: 4 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("raise_holding_async x%d of 8 MiB on Dramatiq 2.0.0:\n%s", n, report.Text())
	for _, r := range report.Retained {
		t.Logf("process %d: %s (complete %v, stopped %q)", r.Pid, strings.Join(r.Chain, " <- "), r.Complete, r.Stopped)
	}
	if len(report.Growth) == 0 || filepath.Base(report.Growth[0].Frames[0].File) != "leakspec_broker.py" {
		t.Fatalf("the top site is not leakspec_broker.allocate: %v", report.Growth)
	}
	// The origin's answer: the future that run_coroutine keeps in its
	// frame holds the exception, and the exception's traceback holds the
	// frame: a cycle that only the cyclic collector frees.
	text := report.Text()
	for _, want := range []string{"retained by: bytes (8.4 MB) <- HeldData.data <- Future._exception <- run_coroutine() at asyncio.py:",
		"local future (frame)", "no root reached", "garbage in reference cycles"} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
}
