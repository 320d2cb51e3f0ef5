package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/cgroup"
)

// BenchmarkSampleTreeCgroup measures one RSS sample of a real worker of 5
// processes, started by Start in its own cgroup, by the three ways a Tree
// finds its members: the children links it walks at most samples, the scan
// of all of /proc it does once every DefaultRescan, and the cgroup's own
// cgroup.procs. It does so on the machine as it is, and again with 2000
// more processes on it (sleeps in a group of their own), which only the
// scan pays for. cgroup-memory is the read of memory.current and
// memory.stat alone, where the cgroup has them.
func BenchmarkSampleTreeCgroup(b *testing.B) {
	p := startBenchWorker(b, pythonArgv("import os, time\nfor _ in range(4):\n    if os.fork() == 0:\n        break\nelse:\n    print('ready', flush=True)\ntime.sleep(600)"))
	if !strings.HasPrefix(p.Containment(), "cgroup v2 ") {
		b.Skipf("no cgroup here: %s", p.Containment())
	}
	for _, crowd := range []int{0, 2000} {
		if crowd > 0 {
			startBenchWorker(b, shArgv(fmt.Sprintf("for i in $(seq %d); do sleep 600 & done; echo ready; wait", crowd)))
		}
		machine := countProcs(b)
		for _, find := range []string{"walk", "scan", "cgroup", "cgroup-memory"} {
			b.Run(fmt.Sprintf("machine=%d/%s", machine, find), func(b *testing.B) {
				t := NewTree("", p.Pid(), p.Pid())
				switch find {
				case "walk":
					t.rescan = time.Duration(1<<63 - 1)
				case "scan":
					t.rescan = 0
				case "cgroup":
					t.useCgroup()
				case "cgroup-memory":
					g := cgroup.Of(p.Pid())
					if err := g.MemoryErr(); err != nil {
						b.Skip(err.Error())
					}
					for b.Loop() {
						if _, err := g.Memory(); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				for b.Loop() {
					sample, err := t.Sample(false)
					if err != nil {
						b.Fatal(err)
					}
					if sample.Processes != 5 {
						b.Fatalf("the tree has %d processes, want 5", sample.Processes)
					}
				}
			})
		}
	}
}

func startBenchWorker(b *testing.B, argv []string) *Process {
	b.Helper()
	p, err := Start(b.Context(), Command{
		Argv: argv, LogPath: filepath.Join(b.TempDir(), "worker.log"),
		Ready: regexp.MustCompile(`^ready$`), Stop: StopKill,
	})
	if p != nil {
		b.Cleanup(func() { _ = p.Stop() })
	}
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func countProcs(b *testing.B) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Name()[0] >= '0' && e.Name()[0] <= '9' {
			n++
		}
	}
	return n
}
