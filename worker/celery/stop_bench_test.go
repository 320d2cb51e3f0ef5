package celery

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/internal/stopbench"
)

// BenchmarkStop measures Stop alone, on a real idle worker of each pool
// (see stopbench.Run).
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
			stopbench.Run(b, func() (*Worker, error) {
				opts.LogPath = filepath.Join(b.TempDir(), "worker.log")
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				return StartWorker(ctx, opts)
			})
		})
	}
}
