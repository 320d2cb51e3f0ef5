package worker

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/leakspec/leakspec/internal/stopbench"
)

// BenchmarkStop measures Stop alone on a plain command with the default
// StopGraceful and StopGrace: a shell whose child sleeps, which ends on
// SIGTERM as most programs do; a Python program that forks a child and
// ignores SIGTERM, which only SIGKILL ends; and a Python program whose
// SIGTERM handler writes a line and then hangs, the one case that waits
// out the whole grace.
func BenchmarkStop(b *testing.B) {
	for _, tt := range []struct {
		name string
		argv []string
	}{
		{"sh", shArgv("echo ready; sleep 600 & wait")},
		{"ignores-SIGTERM", pythonArgv("import os, signal, time\n" +
			"signal.signal(signal.SIGTERM, signal.SIG_IGN)\nif os.fork():\n    print('ready', flush=True)\ntime.sleep(600)")},
		{"handler-hangs", pythonArgv("import signal, time\n" +
			"def handler(signum, frame):\n    print('goodbye', flush=True)\n    time.sleep(600)\n" +
			"signal.signal(signal.SIGTERM, handler)\nprint('ready', flush=True)\ntime.sleep(600)")},
	} {
		b.Run(tt.name, func(b *testing.B) {
			stopbench.Run(b, func() (*Process, error) {
				return Start(context.Background(), Command{
					Argv: tt.argv, LogPath: filepath.Join(b.TempDir(), "worker.log"),
					Ready: regexp.MustCompile(`^ready$`),
				})
			})
		})
	}
}
