package asynq

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
)

// BenchmarkStop measures Stop alone, on the real idle asynq worker of
// fixtures/asynqworker, started afresh for every iteration outside the
// timer: what a spec pays between the end of its recording and the next.
func BenchmarkStop(b *testing.B) {
	url := redistest.Start(b)
	for b.Loop() {
		b.StopTimer()
		w, err := StartWorker(context.Background(), WorkerOptions{
			Program: program, Args: []string{"-scenario", "discard", "-size", "1MiB"}, RedisURL: url,
			LogPath:      filepath.Join(b.TempDir(), "worker.log"),
			ReadyTimeout: 10 * time.Second,
		})
		if err != nil {
			if w != nil {
				w.Stop()
			}
			b.Fatal(err)
		}
		b.StartTimer()
		w.Stop()
	}
}
