package asynq

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/internal/stopbench"
	"github.com/leakspec/leakspec/worker/goworker"
)

// BenchmarkStop measures Stop alone, on the real idle asynq worker of
// fixtures/asynqworker (see stopbench.Run).
func BenchmarkStop(b *testing.B) {
	url := redistest.Start(b)
	stopbench.Run(b, func() (*goworker.Worker, error) {
		return StartWorker(context.Background(), WorkerOptions{
			Program: program, Args: []string{"-scenario", "discard", "-size", "1MiB"}, RedisURL: url,
			LogPath:      filepath.Join(b.TempDir(), "worker.log"),
			ReadyTimeout: 10 * time.Second,
		})
	})
}
