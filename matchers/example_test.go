package matchers_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/onsi/gomega"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// record samples rss(t) every 100 ms for length, as the worker's sampler
// would.
func record(length time.Duration, rss func(t time.Duration) uint64) recording.Recording {
	var rec recording.Recording
	for t := time.Duration(0); t <= length; t += 100 * time.Millisecond {
		rec.Samples = append(rec.Samples, recording.Sample{At: t, RSS: rss(t)})
	}
	rec.Duration = length
	return rec
}

// A self-test pairs a negative control, a worker that drops what each job
// allocates, with a positive control, a worker that keeps 128 MB per retry.
// The first must plateau and the second must not; asserting the opposite
// shows the failure message a spec author would see.
func ExamplePlateauWithin() {
	dropsItsData := record(10*time.Second, func(t time.Duration) uint64 {
		return 38*matchers.MB + uint64(t%time.Second)*128*matchers.MB/uint64(time.Second)
	})
	keepsItsData := record(10*time.Second, func(t time.Duration) uint64 {
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
	// Expected memory to plateau within 32.0 MB, but it kept growing, to +4352.0 MB above its baseline of 38.0 MB: from a baseline of 38.0 MB it peaked at 5158.0 MB (+5120.0 MB) over 10.0 s (101 samples); after the 2.0 s warm-up the peaks of 12 windows of 0.7 s rose +3072.0 MB from their early level of 1702.0 MB (noise margin 0.0 MB, 32.0 MB allowed) and trend at 30912.0 MB/min (95 %: 30720.0 to 31680.0 MB/min), +4121.6 MB over the 8.0 s judged (16.0 MB allowed); the floor of the last 3 windows settled at 4390.0 MB, +4352.0 MB above the baseline (noise margin 104.0 MB, 32.0 MB allowed).
}

// A spec that records until its verdict is certain polls Decide with
// snapshots of its recording. Here a worker leaks 300 MB a minute: a
// minute is planned, but at the second look, 20 s in, the leak is certain.
func ExampleDecide() {
	leak := record(time.Minute, func(t time.Duration) uint64 {
		return 100*matchers.MB + uint64(300*float64(matchers.MB)*t.Minutes())
	})
	plan := matchers.Plan{Max: time.Minute} // six looks, one every 10 s
	for at := time.Second; at <= time.Minute; at += time.Second {
		snapshot := leak
		snapshot.Samples = leak.Samples[:int(at/(100*time.Millisecond))+1]
		snapshot.Duration = at
		d, err := matchers.Decide(snapshot, plan, matchers.PlateauWithin(32*matchers.MB), matchers.StayBelow(1*matchers.GB))
		if err != nil {
			fmt.Println(err)
			return
		}
		if d.Verdict != matchers.Undecided {
			first, _, _ := strings.Cut(d.Message, ":")
			fmt.Printf("%v at look %d (%v): %s\n", d.Verdict, d.Look, d.At, first)
			return
		}
	}
	// Output:
	// failed at look 2 (20s): Expected memory to plateau within 32.0 MB, but it kept growing, to +93.5 MB above its baseline of 100.0 MB
}

// A worker that keeps a little of every job, under a load too short for
// that to add its budget, passes; the caveat says how long a run tells.
func ExampleCaveat() {
	slowLeak := func(length time.Duration) recording.Recording {
		return record(length, func(t time.Duration) uint64 {
			return 40*matchers.MB + uint64(t/time.Second)*matchers.MB*3/4
		})
	}
	m := matchers.PlateauWithin(32 * matchers.MB)
	ok, _ := m.Match(slowLeak(20 * time.Second))
	fmt.Println("20 s passed:", ok)
	fmt.Println(matchers.Caveat(slowLeak(20*time.Second), m))
	ok, _ = m.Match(slowLeak(56 * time.Second))
	fmt.Println("56 s passed:", ok)
	// Output:
	// 20 s passed: true
	// Memory was still rising when the run ended: by at least 43.4 MB/min (95 %), +11.6 MB over the 16.0 s judged, more than a quarter of the 32.0 MB allowed. If this spec guards a slow leak, load it for longer: a climb that steady adds the 16.0 MB that fail the spec in about 22.1 s judged, and a run of 55.3 s or more judges twice that.
	// 56 s passed: false
}
