package recording

// HeapLive returns a copy of r whose series is the Go runtime's live heap
// instead of the tree's RSS: its samples are those of r that carry the
// runtime's figures (Sample.GoRuntime), with RSS set to Sample.HeapLive and
// PSS and USS cleared. Name, times, events and Aborted are kept, so every
// matcher judges the live heap as it judges RSS, unchanged:
//
//	Expect(recording.HeapLive(rec)).To(PlateauWithin(32 * MB))
//
// A recording of a worker that is not a Go worker serving leakspec's
// endpoint has no such samples, so the copy has none, and a matcher says it
// cannot judge it. r itself is not changed.
func HeapLive(r Recording) Recording {
	heap := r
	heap.Samples = make([]Sample, 0, len(r.Samples))
	for _, s := range r.Samples {
		if !s.GoRuntime {
			continue
		}
		s.RSS = s.HeapLive
		s.PSS, s.USS, s.Detailed = 0, 0, false
		heap.Samples = append(heap.Samples, s)
	}
	heap.Events = append([]Event(nil), r.Events...)
	return heap
}
