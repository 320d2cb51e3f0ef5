package rq_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/worker/rq"
)

// BenchmarkStop measures Stop alone, on a real idle SimpleWorker and a real
// idle forking Worker, started afresh for every iteration outside the
// timer: what a spec pays between the end of its recording and the next.
func BenchmarkStop(b *testing.B) {
	for _, forking := range []bool{false, true} {
		name := map[bool]string{false: "SimpleWorker", true: "Worker"}[forking]
		b.Run(name, func(b *testing.B) {
			rdb := redistest.Client(b)
			dir, err := filepath.Abs("testdata")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				b.StopTimer()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				p, err := rq.StartWorker(ctx, rq.WorkerOptions{
					RedisURL: redistest.URL(rdb), Dir: dir, Imports: []string{"jobs"},
					Forking: forking, LogPath: filepath.Join(b.TempDir(), "worker.log"),
				})
				cancel()
				if err != nil {
					if p != nil {
						_ = p.Stop()
					}
					b.Fatal(err)
				}
				b.StartTimer()
				if err := p.Stop(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
