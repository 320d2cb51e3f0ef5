// Package matchers holds leakspec's Gomega matchers, which judge the memory a
// worker used during a spec from its recording.Recording.
//
//	Expect(rec).To(matchers.PlateauWithin(32 * matchers.MB))
//	Expect(rec).To(matchers.StayBelow(1 * matchers.GB))
//
// where rec is the recording.Recording of a worker's run, or a pointer to it.
//
// # What is judged
//
// The matchers read the tree RSS series of the recording (Sample.At and
// Sample.RSS). Memory is a sawtooth: runtimes free lazily (Python's cyclic
// collector, glibc arenas, jemalloc decay, Go's scavenger), so RSS climbs
// while a job allocates and falls back when the runtime gets round to it.
// A verdict is therefore never drawn from two single samples, one of which
// may sit on a tooth and the other in a trough.
//
// PlateauWithin asks "do the peaks stop rising?":
//
//   - The warm-up is left out: by default the first 20 % of the run, at
//     least one second, because imports, connection pools and caches fill
//     up at start and are not a leak. WarmUp overrides it.
//   - The rest is cut into equal time windows (6 by default, see Windows),
//     and each window's maximum is kept: the peak envelope. A worker that
//     drops what a job allocated has level peaks however deep its sawtooth;
//     a worker that keeps some of it has peaks that ratchet up.
//   - The matcher passes when the highest later peak rises at most the
//     budget above the first window's peak AND the Theil–Sen slope of the
//     peaks (the median of the slopes between every pair of them, which a
//     lone spike cannot tilt), carried over the judged time, adds at most
//     the budget. The budget is the growth a spec tolerates; comparing with
//     it rather than with zero keeps an honest wobble from failing a spec.
//   - At least 3 windows with at least 2 samples each must follow the
//     warm-up, or the match is inconclusive and fails with an error: too
//     little data is never a pass.
//
// StayBelow asks "did the tree ever reach the limit?": its peak over the
// whole recording, warm-up included, must be below the limit. A ceiling has
// no warm-up: a worker that takes the machine down at start takes it down
// all the same.
//
// # Aborted recordings
//
// A recording whose Aborted field is set (for instance because the tree
// crossed the memory ceiling and the worker was killed) never passes a
// positive assertion: its series stops where the interesting part began, so
// it is no evidence of good behaviour, and the failure message leads with
// the reason. The negated form passes, so a positive control written as
// Expect(rec).NotTo(PlateauWithin(...)) holds when the known leak blew
// through the ceiling: the worker clearly did not plateau.
//
// # Errors and messages
//
// Match fails with an error, in both the positive and the negated form, when
// it is handed something it cannot judge: a value that is not a
// recording.Recording or *recording.Recording, a nil pointer, a recording
// without samples, samples out of time order, bad options, or too little
// data to judge. Otherwise the failure message is a sentence with the
// numbers a person needs (baseline, peak, growth, slope, samples, duration,
// windows) followed by a small chart of the series, so that a CI log shows
// whether it saw a level sawtooth or ratcheting peaks. The positive and
// negated messages come from one place, so they cannot drift apart.
//
// The statistics live in the stats package, free of Gomega; the matchers
// convert a recording, call it, and put the result into words.
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

// PlateauWithin succeeds when the peaks of the recording's memory, after a
// warm-up, stop rising: the highest of them is at most budget bytes above
// the first, and their trend adds at most budget bytes over the time judged.
// A level sawtooth passes; peaks that ratchet up fail. Options tune the
// warm-up and the number of windows.
//
//	Expect(rec).To(PlateauWithin(32 * MB))
//	Expect(rec).To(PlateauWithin(32*MB, WarmUp(2*time.Second), Windows(8)))
//	Expect(leakyRec).NotTo(PlateauWithin(32 * MB)) // a positive control
//
// It accepts a recording.Recording or a *recording.Recording. Without at
// least 3 windows of at least 2 samples each after the warm-up it fails with
// an error rather than guess. See the package documentation for why.
func PlateauWithin(budget uint64, opts ...Option) types.GomegaMatcher {
	return &plateauWithinMatcher{budget: budget, settings: newSettings(opts)}
}

// StayBelow succeeds when the recording's tree RSS stayed below limit bytes
// for the whole run, warm-up included.
//
//	Expect(rec).To(StayBelow(512 * MB))
//
// It accepts a recording.Recording or a *recording.Recording with at least
// one sample.
func StayBelow(limit uint64) types.GomegaMatcher {
	return &stayBelowMatcher{limit: limit}
}
