package pyheap_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker"
	"github.com/leakspec/leakspec/worker/pyheap"
	"github.com/leakspec/leakspec/worker/rq"
)

// BenchmarkChurnJobs measures what the probe costs an allocation-heavy
// worker: a real RQ SimpleWorker running jobs that each build 20,000 small
// dicts, without the probe, with it idle (listening only), and tracing
// with 1, 3 (DefaultFrames) and 8 frames. Read the ratios of jobs/s, not
// the absolute figures, on a shared machine:
//
//	go test ./worker/pyheap -run '^$' -bench ChurnJobs -benchtime 200x -count 3
func BenchmarkChurnJobs(b *testing.B) {
	for _, mode := range []struct {
		name   string
		probe  bool
		frames int
	}{{"no-probe", false, 0}, {"idle", true, 0}, {"tracing-1-frame", true, 1}, {"tracing-3-frames", true, 3}, {"tracing-5-frames", true, 5}, {"tracing-8-frames", true, 8}} {
		b.Run(mode.name, func(b *testing.B) {
			rdb := redistest.Client(b)
			cmd := rq.WorkerCommand(rq.WorkerOptions{
				Python: python(), Dir: testdata(b), RedisURL: redistest.URL(rdb),
				LogPath: filepath.Join(b.TempDir(), "worker.log"),
			})
			var probe *pyheap.Probe
			if mode.probe {
				probe = installProbe(b)
				cmd = probe.Apply(cmd)
			}
			p, err := worker.Start(b.Context(), cmd)
			if p != nil {
				b.Cleanup(func() { _ = p.Stop() })
			}
			if err != nil {
				b.Fatal(err)
			}
			if mode.frames > 0 {
				waitProbes(b, probe, 1)
				if err := probe.Start(b.Context(), mode.frames); err != nil {
					b.Fatal(err)
				}
			}
			q := rq.NewQueue(rdb, rq.DefaultQueue)
			run := func(n, done int) {
				jobs := make([]rq.Job, n)
				for i := range jobs {
					jobs[i] = rq.Job{Func: "heap_jobs.churn", Args: []any{20000}, ResultTTL: time.Minute}
				}
				if _, err := q.EnqueueMany(context.Background(), jobs); err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				if _, err := q.WaitFinished(ctx, done, 5*time.Millisecond); err != nil {
					b.Fatal(err)
				}
			}
			run(5, 5) // warm-up: imports, first allocations
			b.ResetTimer()
			start := time.Now()
			run(b.N, 5+b.N)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "jobs/s")
		})
	}
}
