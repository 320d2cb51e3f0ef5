// Package asynq drives Go workers built on asynq (github.com/hibiken/asynq),
// a task queue on Redis: it starts the worker program, enqueues tasks with
// asynq's own client, and follows them with asynq's inspector, so a spec
// sees what the worker did without asking it.
//
// The worker is any program that runs an asynq server on the Redis that the
// REDIS_URL environment variable names and serves leakspec's endpoint (see
// worker/goworker/endpoint), such as fixtures/asynqworker:
//
//	w, err := asynq.StartWorker(ctx, asynq.WorkerOptions{
//		Program:  bin,
//		Args:     []string{"-scenario", "keep", "-size", "8MiB"},
//		RedisURL: url,
//		LogPath:  "worker.log",
//	})
//	...
//	queue := asynq.NewQueue(rdb, "default")
//	_, err = queue.Enqueue(ctx, asynq.Task{Type: "keep"})
//	progress, err := queue.WaitDone(ctx, asynq.Wait{Worker: w.Process})
//
// StartWorker returns once the worker's asynq server has registered itself
// in Redis, where asynq's inspector lists it, so tasks enqueued after that
// are taken at once.
//
// How asynq keeps tasks in Redis (v0.26): a task is a hash
// asynq:{<queue>}:t:<id>; its id sits in one of the lists or sorted sets
// pending, active, scheduled, retry, archived (retries exhausted) and
// completed (only with a retention); counters processed and failed count
// attempts, per day and in total. A failed attempt moves the task to retry
// with the time it is due, and the server's forwarder moves it back to
// pending then. The inspector reads all of this; this package reads
// nothing else.
package asynq
