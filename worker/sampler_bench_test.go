package worker

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSampleTree measures one sample of a real tree of 1, 3 and 9
// processes, RSS alone and in detail (PSS and USS from smaps_rollup), by
// the two ways a Tree finds its members:
//
//   - walk: the children links from the members it knows, what nearly every
//     sample costs; it grows with the tree, not with the machine.
//   - scan: a stat file read for every process of the machine, what the
//     first sample and one sample every DefaultRescan cost; it grows with
//     the machine's process count.
//
// A sampler at interval i pays walk + scan·i/DefaultRescan per sample.
func BenchmarkSampleTree(b *testing.B) {
	for _, processes := range []int{1, 3, 9} {
		tree := startRealTree(b, processes-1, 0)
		tree.grow(b)
		for _, path := range []string{"rss", "detailed"} {
			for _, find := range []string{"walk", "scan"} {
				b.Run(fmt.Sprintf("processes=%d/%s/%s", processes, path, find), func(b *testing.B) {
					t := NewTree("", tree.pid(), tree.pid())
					if find == "walk" {
						t.rescan = time.Duration(1<<63 - 1)
					} else {
						t.rescan = 0
					}
					for b.Loop() {
						sample, err := t.Sample(path == "detailed")
						if err != nil {
							b.Fatal(err)
						}
						if sample.Processes != processes {
							b.Fatalf("the tree has %d processes, want %d", sample.Processes, processes)
						}
					}
				})
			}
		}
	}
}

// BenchmarkSamplerCPU runs a real Sampler, with the default slow interval
// of 1 s for PSS and USS, on a real tree of 3 processes for 3 s at each
// interval, and reports the CPU time this process spent meanwhile, as a
// share of one core (cpu-%): the sampler's cost, with the Go runtime's own
// work included, since nothing else runs here. The one iteration's ns/op is
// the 3 s of the run.
func BenchmarkSamplerCPU(b *testing.B) {
	const processes, span = 3, 3 * time.Second
	tree := startRealTree(b, processes-1, 0)
	tree.grow(b)
	for _, interval := range []time.Duration{100 * time.Millisecond, 10 * time.Millisecond} {
		b.Run(fmt.Sprintf("interval=%v/processes=%d", interval, processes), func(b *testing.B) {
			var cpu, wall time.Duration
			samples := 0
			for b.Loop() {
				rec := NewRecorder(b.Name())
				before, start := cpuTime(b), time.Now()
				sampler, err := StartSampler(rec, tree.pid(), tree.pid(), SamplerConfig{Interval: interval}, func(string) {})
				if err != nil {
					b.Fatal(err)
				}
				time.Sleep(span)
				got := sampler.Stop()
				cpu += cpuTime(b) - before
				wall += time.Since(start)
				samples += len(got.Samples)
				for _, s := range got.Samples {
					if s.Processes != processes {
						b.Fatalf("a sample has %d processes, want %d", s.Processes, processes)
					}
				}
			}
			b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
			b.ReportMetric(float64(cpu.Microseconds())/float64(samples), "cpu-µs/sample")
		})
	}
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
