// Package synth makes seeded synthetic memory series of known behaviour, to
// measure how often leakspec's verdicts are right: leak-free classes that a
// verdict must pass (a plateau, a flat sawtooth, a GC-lagged step down, a
// bounded cache fill) and leaking classes it should catch (a linear leak, a
// ratcheting sawtooth, reference cycles held high), each with white noise, a slow wander and RSS counted
// in whole 4 KiB pages, as the kernel counts it.
//
// A series is a pure function of its class, its noise, its length and its
// seed, so every figure the benchmark prints can be reproduced.
package synth

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

// Units, in bytes.
const (
	mb   = 1e6
	page = 4096
)

// Noise is what is added to a class's clean signal.
type Noise struct {
	// White is the standard deviation of independent noise on every
	// sample, in bytes: allocations in flight, a child process counted or
	// not at the instant of sampling.
	White float64
	// Wander is the standard deviation of a slow Ornstein–Uhlenbeck drift
	// and WanderTime its correlation time: a heap that fragments and
	// compacts, arenas that grow and shrink, with no trend.
	Wander     float64
	WanderTime time.Duration
	// Page is the step RSS is counted in; 0 leaves the series continuous.
	Page float64
}

// DefaultNoise is the noise of the benchmark: 1 MB of white noise, a wander
// of 2 MB with a correlation time of 15 s, in 4 KiB pages. Real RSS series
// of the selftest's worker are quieter (flat to the page for seconds); this
// is meant to be harder than the real thing.
var DefaultNoise = Noise{White: 1 * mb, Wander: 2 * mb, WanderTime: 15 * time.Second, Page: page}

// Scaled returns the noise with its white and wander parts multiplied by k.
func (n Noise) Scaled(k float64) Noise {
	n.White *= k
	n.Wander *= k
	return n
}

// Class is a kind of memory behaviour. Signal draws the parameters of one
// series from r and returns its clean signal in bytes over time.
type Class struct {
	Name string
	// Leak says whether the class leaks: what a verdict should find.
	Leak   bool
	Signal func(r *rand.Rand, length time.Duration) func(t time.Duration) float64
}

// level draws the base level of a worker, 30 to 300 MB: verdicts must not
// depend on it.
func level(r *rand.Rand) float64 { return (30 + 270*r.Float64()) * mb }

// between draws uniformly from [lo, hi).
func between(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// Plateau is a worker whose memory holds one level.
func Plateau() Class {
	return Class{Name: "plateau", Signal: func(r *rand.Rand, _ time.Duration) func(time.Duration) float64 {
		l := level(r)
		return func(time.Duration) float64 { return l }
	}}
}

// LinearLeak is a worker whose memory grows perMinute bytes a minute.
func LinearLeak(perMinute float64) Class {
	return Class{Name: "linear leak", Leak: perMinute > 0, Signal: func(r *rand.Rand, _ time.Duration) func(time.Duration) float64 {
		l := level(r)
		return func(t time.Duration) float64 { return l + perMinute*t.Minutes() }
	}}
}

// tooth draws a sawtooth: a period of 0.5 to 3 s, a depth of 8 to 64 MB and
// a phase. Memory climbs over the first 80 % of a tooth as a job allocates,
// holds, and drops at the tooth's end when the job's memory is freed.
func tooth(r *rand.Rand) (period time.Duration, depth, phase float64) {
	period = time.Duration(between(r, 0.5, 3) * float64(time.Second))
	return period, between(r, 8, 64) * mb, r.Float64()
}

// ramp is where a tooth stands at time t, from 0 to 1.
func ramp(t, period time.Duration, phase float64) float64 {
	x := math.Mod(float64(t)/float64(period)+phase, 1)
	return min(x/0.8, 1)
}

// FlatSawtooth is a worker that gives back everything each job allocated:
// deep teeth, level peaks and troughs.
func FlatSawtooth() Class {
	return Class{Name: "flat sawtooth", Signal: func(r *rand.Rand, _ time.Duration) func(time.Duration) float64 {
		l := level(r)
		period, depth, phase := tooth(r)
		return func(t time.Duration) float64 { return l + depth*ramp(t, period, phase) }
	}}
}

// RatchetingSawtooth is a sawtooth whose every tooth leaves a little behind,
// perMinute bytes a minute in all: the peaks and troughs climb in steps.
func RatchetingSawtooth(perMinute float64) Class {
	return Class{Name: "ratcheting sawtooth", Leak: perMinute > 0, Signal: func(r *rand.Rand, _ time.Duration) func(time.Duration) float64 {
		l := level(r)
		period, depth, phase := tooth(r)
		kept := perMinute * period.Minutes()
		return func(t time.Duration) float64 {
			teeth := math.Floor(float64(t)/float64(period) + phase)
			return l + kept*teeth + depth*ramp(t, period, phase)
		}
	}}
}

// GCStepDown is a worker whose collector lags: memory steps up by 16 to
// 64 MB in the first tenth of the run, stays up, and falls back, over a
// decay of 0.5 to 2 s, somewhere between 30 % and 80 % of the run, when the
// collector or the allocator finally returns it.
func GCStepDown() Class {
	return Class{Name: "GC-lagged step down", Signal: func(r *rand.Rand, length time.Duration) func(time.Duration) float64 {
		l := level(r)
		step := between(r, 16, 64) * mb
		up := time.Duration(between(r, 0, 0.1) * float64(length))
		down := time.Duration(between(r, 0.3, 0.8) * float64(length))
		decay := between(r, 0.5, 2)
		return func(t time.Duration) float64 {
			switch {
			case t < up:
				return l
			case t < down:
				return l + step
			default:
				return l + step*math.Exp(-(t-down).Seconds()/decay)
			}
		}
	}}
}

// CacheFill is a worker with a bounded cache, which is not a leak: memory
// fills towards a bound of lo to hi bytes above its level, as distinct keys
// arrive, with a time constant of a thirtieth to a tenth of the run, so
// that it is 95 % full within the first 10 % to 30 % of the run, and then
// stays there. A cache still filling at the end of a run cannot be told
// from a leak by any verdict; its spec needs a longer warm-up. A cache
// whose bound stands above a PlateauWithin budget fails it by contract:
// the worker settled that far above where the load began.
func CacheFill(lo, hi float64) Class {
	return Class{Name: "bounded cache fill", Signal: func(r *rand.Rand, length time.Duration) func(time.Duration) float64 {
		l := level(r)
		bound := between(r, lo, hi)
		tau := between(r, 1.0/30, 1.0/10) * length.Seconds()
		return func(t time.Duration) float64 { return l + bound*(1-math.Exp(-t.Seconds()/tau)) }
	}}
}

// SlowFill is a worker whose cache fills slowly, which is not a leak:
// memory climbs linearly by lo to hi bytes, from a time between from and
// from+4 s, over a time between 6 and 15 s, and then stays there. With from
// a little before the end of a run's warm-up, the climb goes on well past
// it: what an interim look of an early verdict sees is a steady climb of
// up to the whole of the fill, which it must not take for a leak while the
// fill stays within the budget.
func SlowFill(lo, hi float64, from time.Duration) Class {
	return Class{Name: "slow cache fill", Signal: func(r *rand.Rand, _ time.Duration) func(time.Duration) float64 {
		l := level(r)
		bound := between(r, lo, hi)
		start := from.Seconds() + between(r, 0, 4)
		over := between(r, 6, 15)
		return func(t time.Duration) float64 {
			return l + bound*min(max(t.Seconds()-start, 0)/over, 1)
		}
	}}
}

// Cycles is a worker whose failing jobs leave garbage in reference cycles
// that a lagging collector frees now and then: memory climbs within climb
// to a level held bytes above its start, and saws above it, each tooth of
// 1 to 4 s adding 20 % to 60 % of held (at least 8 MB) that the collector
// then frees. held is the floor the collector never gets below, the live
// set of the cycles still uncollected; whether it is a leak depends on the
// budget it is judged against, so Leak is left to the caller.
func Cycles(held float64, climb time.Duration) Class {
	return Class{Name: "reference cycles", Signal: func(r *rand.Rand, _ time.Duration) func(time.Duration) float64 {
		l := level(r)
		period := time.Duration(between(r, 1, 4) * float64(time.Second))
		depth := max(between(r, 0.2, 0.6)*held, 8*mb)
		phase := r.Float64()
		return func(t time.Duration) float64 {
			if t < climb {
				// The climb fills the level and the first tooth.
				return l + (held+depth)*t.Seconds()/climb.Seconds()
			}
			return l + held + depth*ramp(t-climb, period, phase)
		}
	}}
}

// LeakFree returns the leak-free classes, which every verdict must pass at
// the benchmark's budget of 16 MB: their caches fill to 4 to 12 MB, within
// it, as a PlateauWithin(16 MB) now holds memory to within 16 MB of where
// the load began (see CacheFill).
func LeakFree() []Class {
	return []Class{Plateau(), FlatSawtooth(), GCStepDown(), CacheFill(4*mb, 12*mb)}
}

// Series samples one series of class c with the given noise every interval
// for length, from seed. Its parameters come from a generator seeded with
// (seed, 1) and its noise from one seeded with (seed, 2), so that scaling the
// noise keeps the signal and the shape of the noise.
func Series(c Class, noise Noise, length, interval time.Duration, seed uint64) recording.Recording {
	signal := c.Signal(rand.New(rand.NewPCG(seed, 1)), length)
	r := rand.New(rand.NewPCG(seed, 2))
	rec := recording.Recording{Name: c.Name, Duration: length, Interval: interval}
	wander := noise.Wander * r.NormFloat64()
	for t := time.Duration(0); t <= length; t += interval {
		// The exact discretisation of an Ornstein–Uhlenbeck process keeps
		// its variance at Wander² whatever the interval.
		if noise.WanderTime > 0 {
			a := math.Exp(-interval.Seconds() / noise.WanderTime.Seconds())
			wander = a*wander + noise.Wander*math.Sqrt(1-a*a)*r.NormFloat64()
		}
		v := signal(t) + wander + noise.White*r.NormFloat64()
		if noise.Page > 0 {
			v = math.Floor(v/noise.Page) * noise.Page
		}
		rec.Samples = append(rec.Samples, recording.Sample{At: t, RSS: uint64(max(v, 0)), Processes: 1})
	}
	return rec
}
