package dramatiq

import (
	"path/filepath"
	"testing"

	"github.com/leakspec/leakspec/internal/redistest"
	"github.com/leakspec/leakspec/internal/stopbench"
)

// BenchmarkStop measures Stop alone, on a real idle worker of 1 and 2
// processes (see stopbench.Run). It skips where Dramatiq cannot be
// imported (PYTHONPATH=/tmp/dramatiq-main here).
func BenchmarkStop(b *testing.B) {
	if _, err := Probe(b.Context(), python(), ""); err != nil {
		b.Skip(err.Error())
	}
	for _, processes := range []int{1, 2} {
		b.Run(map[int]string{1: "processes=1", 2: "processes=2"}[processes], func(b *testing.B) {
			rdb := redistest.Client(b)
			dir, err := filepath.Abs(filepath.Join("testdata", "apps"))
			if err != nil {
				b.Fatal(err)
			}
			stopbench.Run(b, func() (*Worker, error) {
				return StartWorker(b.Context(), WorkerOptions{
					Python: python(), Dir: dir, Module: "test_actors",
					RedisURL: redistest.URL(rdb), Processes: processes,
					LogPath: filepath.Join(b.TempDir(), "worker.log"),
				})
			})
		})
	}
}
