package matchers_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/onsi/gomega"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// A self-test pairs a negative control, a worker that drops what each job
// allocates, with a positive control, a worker that keeps 128 MB per retry.
// The first must plateau and the second must not; asserting the opposite
// shows the failure message a spec author would see.
func ExamplePlateauWithin() {
	record := func(rss func(t time.Duration) uint64) recording.Recording {
		var rec recording.Recording
		for t := time.Duration(0); t <= 10*time.Second; t += 100 * time.Millisecond {
			rec.Samples = append(rec.Samples, recording.Sample{At: t, RSS: rss(t)})
		}
		return rec
	}
	dropsItsData := record(func(t time.Duration) uint64 {
		return 38*matchers.MB + uint64(t%time.Second)*128*matchers.MB/uint64(time.Second)
	})
	keepsItsData := record(func(t time.Duration) uint64 {
		return 38*matchers.MB + uint64(t/(250*time.Millisecond))*128*matchers.MB
	})

	ok, err := matchers.PlateauWithin(32 * matchers.MB).Match(dropsItsData)
	fmt.Println("negative control plateaus:", ok, err)

	g := gomega.NewGomega(func(message string, _ ...int) {
		sentence, _, _ := strings.Cut(message, "\n")
		fmt.Println(sentence)
	})
	g.Expect(keepsItsData).NotTo(matchers.PlateauWithin(32 * matchers.MB)) // holds: prints nothing
	g.Expect(keepsItsData).To(matchers.PlateauWithin(32 * matchers.MB))
	// Output:
	// negative control plateaus: true <nil>
	// Expected memory to plateau within 32.0 MB, but it kept growing: from a baseline of 38.0 MB it peaked at 5158.0 MB (+5120.0 MB) over 10.0 s (101 samples); after the 2.0 s warm-up the peaks of 6 windows of 1.3 s rose +3456.0 MB and trend at 31104.0 MB/min, +4147.2 MB over the 8.0 s judged.
}
