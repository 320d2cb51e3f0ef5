// Package rq drives an RQ (Python "Redis Queue", 1.13) worker: it enqueues
// jobs from Go in RQ's own Redis format, reads the worker's progress back
// from Redis, and starts the worker process.
//
// # How RQ keeps jobs in Redis
//
// A job is a hash, rq:job:<id>. Its data field is the serialized call
// [func_path, instance, args, kwargs]; the other fields are plain strings:
// origin (the queue), status, created_at and enqueued_at (UTC,
// "2006-01-02T15:04:05.000000Z"), description (the call as Python would
// print it), timeout, result_ttl and failure_ttl (seconds), and, for jobs
// that retry, retries_left and retry_intervals (a JSON list of seconds).
// A queue is a list, rq:queue:<name>, of job ids: producers RPUSH, the
// worker BLPOPs. The set rq:queues names every queue key, so that tools
// such as `rq info` can find them.
//
// Once the worker has popped an id, the job lives in registries, sorted
// sets of ids per queue: rq:wip:<name> while it runs, then
// rq:finished:<name> or rq:failed:<name>, scored by when the entry expires
// (the job's result or failure TTL). A job that fails with retries left goes
// straight back on the queue (or to rq:scheduled:<name> when its retry
// interval is not zero, which only a worker started with a scheduler
// serves). The outcome of each run is appended to the stream
// rq:results:<id>, with the traceback of a failure zlib-compressed and
// base64-encoded. Queue.Progress counts those lists and sets; nothing has to
// ask the worker.
//
// Enqueue writes the job hash, adds the queue to rq:queues and pushes the
// id in one MULTI, so the worker never pops an id whose hash is not there
// yet; EnqueueMany pipelines many such transactions. The data field holds
// plain JSON: the worker runs with rq.serializers.JSONSerializer, and RQ
// falls back to uncompressed data when zlib refuses it, so Go needs no
// Python to enqueue.
//
// # Why SimpleWorker
//
// RQ's default Worker forks a "work horse" for every job and waits for it
// to exit. Whatever a job leaks dies with its horse, so the worker's memory
// looks flat however leaky the jobs are. SimpleWorker runs jobs in the
// worker process itself, the way a long-lived service runs its code, so a
// per-job leak accumulates where it can be measured. StartWorker therefore
// runs SimpleWorker unless WorkerOptions.Forking asks for the forking
// worker, which is useful as a negative control.
package rq
