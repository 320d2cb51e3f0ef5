package worker

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
)

// BenchmarkStop measures Stop alone on a plain command, started afresh for
// every iteration outside the timer: a shell whose child sleeps, which ends
// on SIGTERM as most programs do, and a Python program that forks a child
// and ignores SIGTERM, which only SIGKILL ends.
func BenchmarkStop(b *testing.B) {
	for _, tt := range []struct {
		name string
		argv []string
	}{
		{"sh", shArgv("echo ready; sleep 600 & wait")},
		{"ignores-SIGTERM", pythonArgv("import os, signal, time\n" +
			"signal.signal(signal.SIGTERM, signal.SIG_IGN)\nif os.fork():\n    print('ready', flush=True)\ntime.sleep(600)")},
	} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				p, err := Start(context.Background(), Command{
					Argv: tt.argv, LogPath: filepath.Join(b.TempDir(), "worker.log"),
					Ready: regexp.MustCompile(`^ready$`),
				})
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
