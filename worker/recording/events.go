package recording

// Names of the events that leakspec's matchers read from a Recording. A spec
// or an adapter notes them with the worker's Recorder:
//
//	run.Recorder.Event(recording.LoadStart, "")
//	// ... enqueue the scenario's jobs and wait for them ...
//	run.Recorder.Event(recording.LoadStop, "")
//
// matchers.ReturnToBaseline takes the worker's baseline from before the
// first LoadStart and watches memory settle after the last LoadStop.
const (
	// LoadStart marks when the scenario starts putting load on the worker,
	// such as enqueueing its first job.
	LoadStart = "load-start"
	// LoadStop marks when the load is over: the last job has finished, so
	// what memory the worker still holds from then on is what it kept.
	LoadStop = "load-stop"
	// IdleTail marks where fixtures' Run.Finish went on recording the
	// worker idle after a load of fixed length: for a second, or up to the
	// least the matchers can judge when the load was over sooner.
	// matchers.PlateauWithin reads the level the worker settled at from
	// what follows it, as from what follows a LoadStop
	// (Recording.IdleSince).
	IdleTail = "idle-tail"
)
