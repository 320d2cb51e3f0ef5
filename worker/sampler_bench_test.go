package worker

import (
	"fmt"
	"testing"

	"github.com/prometheus/procfs"
)

// BenchmarkSampleTree measures one sample of a real tree of 1, 3 and 9
// processes, RSS alone and in detail. Most of the cost of the RSS path is
// listing every process of the machine to find the tree, so it grows with
// the machine's process count more than with the tree's size.
func BenchmarkSampleTree(b *testing.B) {
	procFS, err := procfs.NewDefaultFS()
	if err != nil {
		b.Fatal(err)
	}
	for _, processes := range []int{1, 3, 9} {
		tree := startRealTree(b, processes-1, 0)
		tree.grow(b)
		for _, detailed := range []bool{false, true} {
			path := "rss"
			if detailed {
				path = "detailed"
			}
			b.Run(fmt.Sprintf("processes=%d/%s", processes, path), func(b *testing.B) {
				for b.Loop() {
					sample, err := SampleTree(procFS, tree.pid(), tree.pid(), detailed)
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
