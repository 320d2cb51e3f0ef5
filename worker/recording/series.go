package recording

// Series names one of the memory measures a Sample carries.
type Series string

// The measures of a Sample. RSS is sampled at every tick; PSS and USS only
// on detailed samples, at the slow rate.
const (
	// RSS is the resident set size summed over the tree. Pages that forked
	// processes share count once per process that maps them.
	RSS Series = "RSS"
	// PSS is the proportional set size summed over the tree: each shared
	// page is split among the processes that map it, so the sum counts it
	// once. It is the honest total for a forked pool.
	PSS Series = "PSS"
	// USS is the unique set size summed over the tree: private pages only,
	// what the tree would give back if it exited.
	USS Series = "USS"
	// HeapLive is a Go worker's live heap, read from its runtime on the
	// samples flagged GoRuntime. It lags less than RSS, which waits for the
	// scavenger to return freed pages.
	HeapLive Series = "live heap"
)

// Series returns a copy of r in which the RSS field of every sample carries
// the chosen measure, so that anything that judges RSS (the matchers,
// Peak) judges that measure unchanged:
//
//	Expect(rec.Series(recording.PSS)).To(PlateauWithin(64 * MB))
//
// For PSS and USS only the detailed samples are kept, since the others did
// not measure them, and Interval becomes SlowInterval, the period of the
// samples that remain. For HeapLive only the samples that carry the Go
// runtime's figures are kept (a worker that is not a Go worker serving
// leakspec's endpoint has none), with PSS and USS cleared. For RSS the copy holds every sample as it is. The
// copy's Name says which measure it carries, as in "spec text [PSS]", and
// so does its Measure.
// Events, Aborted and the rest are kept; the Ceiling still applies to RSS.
// A recording without detailed samples yields a copy without samples, which
// the matchers refuse to judge rather than pass.
func (r Recording) Series(s Series) Recording {
	out := r
	out.Events = append([]Event(nil), r.Events...)
	if s == RSS {
		out.Samples = append([]Sample(nil), r.Samples...)
		return out
	}
	out.Name = r.Name + " [" + string(s) + "]"
	out.Measure = s
	if s != HeapLive {
		out.Interval = r.SlowInterval
	}
	out.Samples = make([]Sample, 0, len(r.Samples)/2+1)
	for _, sample := range r.Samples {
		switch {
		case s == PSS && sample.Detailed:
			sample.RSS = sample.PSS
		case s == USS && sample.Detailed:
			sample.RSS = sample.USS
		case s == HeapLive && sample.GoRuntime:
			sample.RSS = sample.HeapLive
			sample.PSS, sample.USS, sample.Detailed = 0, 0, false
		default:
			// A sample that did not measure s is left out; an unknown
			// measure keeps none, so no verdict is drawn from a series that
			// was never measured.
			continue
		}
		out.Samples = append(out.Samples, sample)
	}
	return out
}
