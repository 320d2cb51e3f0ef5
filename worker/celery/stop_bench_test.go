package celery

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
)

// BenchmarkStop measures Stop alone, on a real idle worker of each pool,
// started afresh for every iteration outside the timer: what a spec pays
// between the end of its recording and the next spec.
func BenchmarkStop(b *testing.B) {
	for _, opts := range []WorkerOptions{{Pool: Solo}, {Pool: Prefork, Concurrency: 2}} {
		b.Run(string(opts.Pool), func(b *testing.B) {
			rdb := redistest.Client(b)
			opts.RedisURL = redistest.URL(rdb)
			opts.App = "tasks"
			dir, err := filepath.Abs("testdata")
			if err != nil {
				b.Fatal(err)
			}
			opts.Dir = dir
			for b.Loop() {
				b.StopTimer()
				opts.LogPath = filepath.Join(b.TempDir(), "worker.log")
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				w, err := StartWorker(ctx, opts)
				cancel()
				if err != nil {
					if w != nil {
						_ = w.Stop()
					}
					b.Fatal(err)
				}
				b.StartTimer()
				if err := w.Stop(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
