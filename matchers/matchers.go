package matchers

import (
	"github.com/onsi/gomega/types"

	"github.com/leakspec/leakspec/internal/bytesize"
)

// Sizes in bytes, for writing budgets and limits as PlateauWithin(32 * MB).
// Decimal units are powers of 1000 and binary units powers of 1024, as their
// names say; messages print decimal megabytes.
const (
	KB  = bytesize.KB
	MB  = bytesize.MB
	GB  = bytesize.GB
	KiB = bytesize.KiB
	MiB = bytesize.MiB
	GiB = bytesize.GiB
)

// PlateauWithin succeeds when the recording's memory, after a warm-up,
// stops rising and sits within budget bytes of where the load began. It
// asks two questions and fails only on evidence:
//
//   - Does it keep growing? The late level of the peak envelope (the median
//     peak of the last quarter of the windows) stands more than budget
//     above its early level (the median peak of the first quarter), beyond
//     the noise margin; or the lower confidence bound of the envelope's
//     Theil–Sen slope, carried over the time judged, adds more than half
//     the budget. The message says "it kept growing" or "its peaks rose
//     too far".
//   - How high does it sit? The late level of the floor (the median of the
//     minima of the last quarter of the windows) stands more than budget
//     above the baseline, the least memory of the warm-up, beyond the noise
//     margin: a worker that climbed within the warm-up and stayed there.
//     The floor, not the peaks, is compared, so memory a job in flight
//     borrows and gives back does not count, nor does a collector that
//     frees its garbage now and then. The message says "it settled +N MB
//     above its baseline of B MB and stayed there". With WarmUp set, the
//     load begins where the warm-up ends, and the floor is compared with
//     the early level of the peaks, what the load held as it began.
//
// A level sawtooth passes however deep its teeth; peaks that ratchet up
// fail, as does a floor held high. A budget must cover what the worker
// legitimately keeps after its first jobs: caches, and the allocator's
// retained heap (glibc keeps up to one large job's memory). Options tune
// the warm-up, the windows and the confidence.
//
//	Expect(rec).To(PlateauWithin(32 * MB))
//	Expect(rec).To(PlateauWithin(32*MB, WarmUp(2*time.Second), Windows(8)))
//	Expect(leakyRec).NotTo(PlateauWithin(32 * MB)) // a positive control
//
// It accepts a recording.Recording or a *recording.Recording. Without at
// least 6 windows of at least 3 samples each after the warm-up it fails as
// inconclusive rather than guess.
func PlateauWithin(budget uint64, opts ...Option) types.GomegaMatcher {
	return &matcher{judge: &plateauWithin{budget: budget, settings: newSettings(opts)}}
}

// GrowLessThan succeeds when the floor of the recording's memory (the
// minima of its windows after the warm-up: what the runtime kept, not what
// it borrowed for a moment) rose less than limit bytes from the start of the
// judged time to its end. The floor at each end is the median floor of a
// quarter of the windows, and it fails only when the rise exceeds the limit
// by more than the noise margin: limit or more beyond the noise.
//
//	Expect(rec).To(GrowLessThan(16 * MB))
//
// It takes the options WarmUp, Windows, WindowSize and Confidence, and fails
// as inconclusive without at least 6 windows of at least 3 samples.
func GrowLessThan(limit uint64, opts ...Option) types.GomegaMatcher {
	return &matcher{judge: &growLessThan{limit: limit, settings: newSettings(opts)}}
}

// HaveSlopeBelow succeeds when the floor of the recording's memory (the
// minima of its windows after the warm-up) is shown to rise slower than
// rate: the upper confidence bound of its Theil–Sen slope must be below the
// rate. Unlike the other matchers it passes only on evidence, so a run too
// short or too noisy to pin the slope down fails, and says so; the rate is
// a meaningful one, never zero, since no finite run shows a slope of
// exactly zero.
//
//	Expect(rec).To(HaveSlopeBelow(MBPerMinute(5)))
//
// It takes the options WarmUp, Windows, WindowSize and Confidence, and fails
// as inconclusive without at least 6 windows of at least 3 samples.
func HaveSlopeBelow(rate BytesPerMinute, opts ...Option) types.GomegaMatcher {
	return &matcher{judge: &haveSlopeBelow{rate: rate, settings: newSettings(opts)}}
}

// ReturnToBaseline succeeds when, after the load stops, memory comes back
// to within bytes of its baseline before the load, waiting out allocator
// decay for up to DefaultDecayLimit (10 s; DecayLimit changes it).
//
// The recording must carry the events recording.LoadStart and
// recording.LoadStop: the baseline is the median of the samples before the
// first LoadStart, and memory's level after the last LoadStop is the median
// of a sliding window of DefaultSettle (1 s; WindowSize changes it), so
// that one stray sample can neither fake a return nor hide one.
//
//	Expect(rec).To(ReturnToBaseline(8 * MB))
//	Expect(rec).To(ReturnToBaseline(8*MB, DecayLimit(30*time.Second)))
//
// A recording that ends before memory returned and before the decay limit
// has passed is inconclusive: it fails, asking to record for longer.
func ReturnToBaseline(within uint64, opts ...Option) types.GomegaMatcher {
	return &matcher{judge: &returnToBaseline{within: within, settings: newSettings(opts)}}
}

// StayBelow succeeds when the recording's tree RSS stayed below limit bytes
// for the whole run, warm-up included: an absolute bound has no warm-up, as
// a worker that takes the machine down at start takes it down all the same.
// Under Decide it stops a run the moment a sample reaches the limit.
//
//	Expect(rec).To(StayBelow(512 * MB))
//
// It accepts a recording.Recording or a *recording.Recording with at least
// one sample, and takes no options.
func StayBelow(limit uint64) types.GomegaMatcher {
	return &matcher{judge: &stayBelow{limit: limit}}
}

// GrowLessThanPerEvent succeeds when the floor of the recording's memory
// (the minima of its windows after the warm-up) grows less than limit bytes
// per event of the given name, such as "retry": the slope of a Theil–Sen
// line through the floors against the number of those events that had
// happened when each floor was reached. It fails only on evidence, when even
// the lower confidence bound of that slope reaches the limit.
//
//	Expect(rec).To(GrowLessThanPerEvent(1*MB, "retry"))
//
// This is the matcher for the leak that holds something per message: a
// worker that keeps every retried exception grows by the same amount per
// retry however the retries are spread in time. It takes the options
// WarmUp, Windows, WindowSize and Confidence, and fails as inconclusive
// without at least 6 windows of at least 3 samples, or when the floors see
// fewer than 3 different counts of the event.
func GrowLessThanPerEvent(limit uint64, event string, opts ...Option) types.GomegaMatcher {
	return &matcher{judge: &growLessThanPerEvent{limit: limit, event: event, settings: newSettings(opts)}}
}
