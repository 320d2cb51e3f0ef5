package rq_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/internal/stopbench"
	"github.com/leakspec/leakspec/worker/rq"
)

// BenchmarkStop measures Stop alone, on a real idle SimpleWorker and a real
// idle forking Worker (see stopbench.Run).
func BenchmarkStop(b *testing.B) {
	for _, forking := range []bool{false, true} {
		name := map[bool]string{false: "SimpleWorker", true: "Worker"}[forking]
		b.Run(name, func(b *testing.B) {
			rdb := redistest.Client(b)
			dir, err := filepath.Abs("testdata")
			if err != nil {
				b.Fatal(err)
			}
			stopbench.Run(b, func() (*rq.Worker, error) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				return rq.StartWorker(ctx, rq.WorkerOptions{
					RedisURL: redistest.URL(rdb), Dir: dir, Imports: []string{"jobs"},
					Forking: forking, LogPath: filepath.Join(b.TempDir(), "worker.log"),
				})
			})
		})
	}
}
