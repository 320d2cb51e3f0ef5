package worker

import (
	"slices"
	"sync"
	"time"

	"github.com/leakspec/leakspec/worker/recording"
)

// Recorder collects samples and events into a recording.Recording; safe for
// concurrent use (sampler goroutine + adapters adding events).
//
// Every time it stores is measured from its creation on the monotonic clock,
// so a wall-clock jump during a run never bends a series. A spec usually
// creates one Recorder, hands it to StartSampler and to the adapter that
// drives the worker, and judges the Recording that Sampler.Stop returns.
type Recorder struct {
	// start carries the monotonic reading that every At is measured from.
	start time.Time

	mu        sync.Mutex
	recording recording.Recording
	// stopped and stoppedAt freeze the Duration once sampling has ended, so
	// that a Recording judged later does not claim time nobody measured.
	stopped   bool
	stoppedAt time.Duration
}

// NewRecorder returns an empty Recorder named after what it records, usually
// the spec's text. Its clock starts now.
func NewRecorder(name string) *Recorder {
	start := time.Now()
	return &Recorder{
		start: start,
		// Round(0) drops the monotonic reading: Started is for people
		// reading reports, and must survive a trip through JSON unchanged.
		recording: recording.Recording{Name: name, Started: start.Round(0)},
	}
}

// Event notes that something happened now, such as a job finishing or a
// message being retried.
func (r *Recorder) Event(name, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// The clock is read under the lock so that events are stored in the
	// order of their times even when several goroutines add them.
	at := time.Since(r.start)
	r.recording.Events = append(r.recording.Events, recording.Event{At: at, Name: name, Detail: detail})
}

// Add stores a sample as it is, in the order samples are added. Its At must
// already be measured from this Recorder's start; the sampler does so.
func (r *Recorder) Add(s recording.Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recording.Samples = append(r.recording.Samples, s)
}

// Abort records why the worker was stopped before its scenario ended. The
// first reason wins: once a worker has been killed for crossing the ceiling,
// the errors that follow from its death are consequences, not the cause.
func (r *Recorder) Abort(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.recording.Aborted == "" {
		r.recording.Aborted = reason
	}
}

// Snapshot returns a deep copy of what has been recorded so far, with its
// Duration set to the time since the Recorder was created, or to the time
// its sampler stopped once it has. Changing the copy never changes the
// Recorder.
func (r *Recorder) Snapshot() recording.Recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	snapshot := r.recording
	snapshot.Samples = slices.Clone(r.recording.Samples)
	snapshot.Events = slices.Clone(r.recording.Events)
	snapshot.Duration = time.Since(r.start)
	if r.stopped {
		snapshot.Duration = r.stoppedAt
	}
	return snapshot
}

// elapsed returns the time from the Recorder's start to t, on the monotonic
// clock when t carries a monotonic reading.
func (r *Recorder) elapsed(t time.Time) time.Duration {
	return t.Sub(r.start)
}

// describeSampling records how the samples are taken, so that a Recording
// explains its own series.
func (r *Recorder) describeSampling(cfg SamplerConfig, source string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recording.Source = source
	r.recording.Interval = cfg.Interval
	r.recording.SlowInterval = cfg.SlowInterval
	r.recording.Ceiling = cfg.Ceiling
}

// stop freezes the Recording's Duration at the current time; later calls
// change nothing.
func (r *Recorder) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopped {
		r.stopped = true
		r.stoppedAt = time.Since(r.start)
	}
}
