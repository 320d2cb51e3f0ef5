package matchers_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker/recording"
)

// sampled records rss(t) every interval from 0 to length, both included, as
// the worker's sampler would.
func sampled(every, length time.Duration, rss func(t time.Duration) uint64) recording.Recording {
	rec := recording.Recording{Name: "synthetic", Duration: length, Interval: every}
	for t := time.Duration(0); t <= length; t += every {
		rec.Samples = append(rec.Samples, recording.Sample{At: t, RSS: rss(t), Processes: 1})
	}
	return rec
}

// staircase climbs 10 MB at every whole second from 40 MB, sampled every
// half second for ten seconds: small enough to work its figures out by hand.
func staircase() recording.Recording {
	return sampled(500*time.Millisecond, 10*time.Second, func(t time.Duration) uint64 {
		return 40*matchers.MB + 10*matchers.MB*uint64(t/time.Second)
	})
}

// zigzag alternates between 40 MB and 48 MB every half second for ten
// seconds: a small sawtooth that never rises.
func zigzag() recording.Recording {
	return sampled(500*time.Millisecond, 10*time.Second, func(t time.Duration) uint64 {
		return 40*matchers.MB + 8*matchers.MB*uint64(t/(500*time.Millisecond)%2)
	})
}

// flatSawtooth is a worker that allocates 128 MB over each one-second job
// and gives it all back at the end, sampled every 100 ms for ten seconds: a
// deep sawtooth whose peaks stay level.
func flatSawtooth() recording.Recording {
	return sampled(100*time.Millisecond, 10*time.Second, func(t time.Duration) uint64 {
		return 38*matchers.MB + uint64(t%time.Second)*128*matchers.MB/uint64(time.Second)
	})
}

// ratchet is the leak leakspec was written for: an actor retried about every
// 250 ms raises an exception that holds 128 MB, and the runtime keeps every
// one alive; each retry also allocates 64 MB it does give back.
func ratchet() recording.Recording {
	const retry = 250 * time.Millisecond
	return sampled(100*time.Millisecond, 10*time.Second, func(t time.Duration) uint64 {
		rss := 38*matchers.MB + uint64(t/retry)*128*matchers.MB
		if t%retry < 100*time.Millisecond {
			rss += 64 * matchers.MB
		}
		return rss
	})
}

// linearLeak grows mbPerMinute a minute from 100 MB for a minute, with 4 MB
// of Gaussian noise, sampled every 100 ms.
func linearLeak(seed uint64, mbPerMinute float64) recording.Recording {
	noise := rand.New(rand.NewPCG(seed, 1))
	return sampled(100*time.Millisecond, time.Minute, func(t time.Duration) uint64 {
		return uint64(100e6 + mbPerMinute*1e6*t.Minutes() + 4e6*noise.NormFloat64())
	})
}

// noisyPlateau holds 100 MB for a minute with 5 MB of Gaussian noise,
// counted in whole 4 KiB pages as the kernel counts RSS, sampled every 100 ms.
func noisyPlateau(seed uint64) recording.Recording {
	noise := rand.New(rand.NewPCG(seed, 2))
	return sampled(100*time.Millisecond, time.Minute, func(t time.Duration) uint64 {
		pages := math.Floor((100e6 + 5e6*noise.NormFloat64()) / float64(4*matchers.KiB))
		return uint64(pages) * 4 * matchers.KiB
	})
}

// shifted returns rec with every sample raised by d bytes.
func shifted(rec recording.Recording, d uint64) recording.Recording {
	samples := make([]recording.Sample, len(rec.Samples))
	for i, s := range rec.Samples {
		s.RSS += d
		samples[i] = s
	}
	rec.Samples = samples
	return rec
}

// aborted returns rec as if the worker had been stopped for reason.
func aborted(rec recording.Recording, reason string) recording.Recording {
	rec.Aborted = reason
	return rec
}

// firstSeconds returns rec cut after its first d.
func firstSeconds(rec recording.Recording, d time.Duration) recording.Recording {
	n := 0
	for n < len(rec.Samples) && rec.Samples[n].At <= d {
		n++
	}
	rec.Samples = rec.Samples[:n]
	return rec
}

// climb climbs 10 MB at every whole second from 40 MB, sampled every 250 ms
// for 15 s: after the default 3 s warm-up, twelve windows of a second hold
// four samples each (the last five), level within each window, so its
// figures can be worked out by hand.
func climb() recording.Recording {
	return sampled(250*time.Millisecond, 15*time.Second, func(t time.Duration) uint64 {
		return 40*matchers.MB + 10*matchers.MB*uint64(t/time.Second)
	})
}

// level alternates between 40 MB and 48 MB every 250 ms for 15 s: a small
// sawtooth that never rises.
func level() recording.Recording {
	return sampled(250*time.Millisecond, 15*time.Second, func(t time.Duration) uint64 {
		return 40*matchers.MB + 8*matchers.MB*uint64(t/(250*time.Millisecond)%2)
	})
}

// withEvents returns rec with an event of the given name at each time.
func withEvents(rec recording.Recording, name string, at ...time.Duration) recording.Recording {
	events := slices.Clone(rec.Events)
	for _, t := range at {
		events = append(events, recording.Event{At: t, Name: name})
	}
	slices.SortStableFunc(events, func(a, b recording.Event) int { return int(a.At - b.At) })
	rec.Events = events
	return rec
}

// everySecond returns the whole seconds from first to last.
func everySecond(first, last int) []time.Duration {
	var at []time.Duration
	for s := first; s <= last; s++ {
		at = append(at, time.Duration(s)*time.Second)
	}
	return at
}

// gomegaNot matches actual the way Gomega's NotTo does: it holds when Match
// returns false without an error.
func gomegaNot(m interface{ Match(any) (bool, error) }, actual any) (bool, error) {
	ok, err := m.Match(actual)
	return !ok && err == nil, err
}
