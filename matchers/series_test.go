package matchers_test

import (
	"math"
	"math/rand/v2"
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

// linearLeak grows 20 MB a minute from 100 MB for a minute, with 4 MB of
// Gaussian noise, sampled every 100 ms.
func linearLeak(seed uint64) recording.Recording {
	noise := rand.New(rand.NewPCG(seed, 1))
	return sampled(100*time.Millisecond, time.Minute, func(t time.Duration) uint64 {
		return uint64(100e6 + 20e6*t.Minutes() + 4e6*noise.NormFloat64())
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
