// Package matchers holds leakspec's Gomega matchers, which judge the memory a
// worker used during a spec from its recording.Recording.
//
//	Expect(rec).To(PlateauWithin(32 * MB))
//	Expect(rec).To(GrowLessThan(16 * MB))
//	Expect(rec).To(HaveSlopeBelow(MBPerMinute(5)))
//	Expect(rec).To(ReturnToBaseline(8 * MB))
//	Expect(rec).To(StayBelow(1 * GB))
//	Expect(rec).To(GrowLessThanPerEvent(1*MB, "retry"))
//
// where rec is the recording.Recording of a worker's run, or a pointer to it.
//
// # What is judged
//
// The matchers read the tree RSS series of the recording (Sample.At and
// Sample.RSS) and its events. Memory is a sawtooth: runtimes free lazily
// (Python's cyclic collector, glibc arenas, jemalloc decay, Go's scavenger),
// so RSS climbs while a job allocates and falls back when the runtime gets
// round to it. A verdict is therefore never drawn from two single samples.
//
// All but StayBelow and ReturnToBaseline leave out a warm-up (a fifth of the
// run, at least a second: WarmUp) and cut the rest into equal windows of
// time (DefaultWindows, 12: Windows, WindowSize). The maxima of the windows
// are the peak envelope, which asks "do the peaks stop rising?"; their
// minima are the floor, which asks "does what the runtime keeps grow?".
// PlateauWithin also asks how high the floor sits above the baseline, the
// least memory of the warm-up: memory that climbed within the warm-up and
// stayed is not forgiven by it. Levels are medians of a quarter of the windows, so one odd window cannot
// move them; slopes are Theil–Sen slopes (the median of the slopes between
// every pair of windows), so a lone spike cannot tilt them; and every slope
// has a confidence bound (stats.Sen) that widens when neighbouring windows
// are correlated, as a slowly wandering heap makes them.
//
// Verdicts compare with a meaningful budget or rate, never with zero, and
// all but HaveSlopeBelow fail only on evidence: the growth, less its noise
// margin or taken at its lower confidence bound, must exceed the budget.
// More noise therefore makes them more lenient, never less. HaveSlopeBelow
// is the strict one: it passes only when the upper bound of the slope is
// below the rate.
//
// # Inconclusive runs
//
// A run too short to judge (fewer than 6 windows of at least 3 samples after
// the warm-up, no LoadStart/LoadStop events for ReturnToBaseline, too few
// events for GrowLessThanPerEvent) fails with an error that starts "<Matcher>
// is inconclusive: not enough data (need at least ...)". Too little data is
// never a pass, in the positive or the negated form.
//
// # Aborted recordings
//
// A recording whose Aborted field is set (for instance because the tree
// crossed the memory ceiling and the worker was killed) never passes a
// positive assertion: its series stops where the interesting part began, so
// it is no evidence of good behaviour, and the failure message leads with
// the reason. The negated form passes, so a positive control written as
// Expect(rec).NotTo(PlateauWithin(...)) holds when the known leak blew
// through the ceiling.
//
// # Early verdicts
//
// Decide judges a snapshot of a recording that is still running against a
// Plan (a maximum length and a fixed number of looks) and says Undecided,
// Passed or Failed; Watch polls a Recorder's snapshots with it until the
// verdict is certain. See Decide for how the false-alarm rate is kept.
//
// # Errors and messages
//
// Match fails with an error, in both the positive and the negated form, when
// it is handed something it cannot judge: a value that is not a
// recording.Recording or *recording.Recording, a nil pointer, a recording
// without samples, samples out of time order, an option the matcher does not
// take or a bad one, or too little data. Otherwise the failure message is a
// paragraph with the numbers a person needs (baseline, peak, growth, slope
// and its bounds, windows, duration) followed by a small chart of the
// series. The positive and negated messages come from one place, so they
// cannot drift apart.
//
// The statistics live in the stats package, free of Gomega; the matchers
// convert a recording, call it, and put the result into words.
package matchers
