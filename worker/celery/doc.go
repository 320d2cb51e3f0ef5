// Package celery drives a Celery (5.2, kombu 5.2) worker on a Redis broker:
// it sends task messages from Go in Celery's own format, starts the worker
// process with a solo or a prefork pool, and follows the worker's progress
// in its log and in Redis.
//
// # How Celery keeps messages in Redis
//
// A queue is a list named after the queue ("celery" by default). kombu's
// producer LPUSHes a message and the worker BRPOPs it, so the list is first
// in, first out. The producer also declares the queue: the set
// _kombu.binding.<queue> holds "<queue>␆␖␆␖<queue>". A message is JSON: the
// task message of Celery's protocol 2 with its body in base64,
//
//	{"body": base64([args, kwargs, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]),
//	 "content-encoding": "utf-8", "content-type": "application/json",
//	 "headers": {"lang": "py", "task": <name>, "id": <id>, "eta": <ISO time or null>,
//	             "retries": <n>, "root_id": <id>, "argsrepr": ..., "kwargsrepr": ..., "origin": ..., ...},
//	 "properties": {"correlation_id": <id>, "delivery_mode": 2, "priority": 0,
//	                "delivery_info": {"exchange": "", "routing_key": <queue>},
//	                "body_encoding": "base64", "delivery_tag": <uuid>, ...}}
//
// exactly as celery.app.amqp.AMQP.as_task_v2 and kombu's Redis channel
// write it (python_test.go compares the two). The argsrepr and kwargsrepr
// headers are celery.utils.saferepr's text of the arguments, which the
// worker logs.
//
// Once the worker has taken a message, kombu keeps it in the hash unacked
// (delivery tag -> [message, exchange, routing key]) and the sorted set
// unacked_index until the worker acknowledges it, after the task ran; then
// the message is gone. A message with an ETA (a retry's countdown) stays
// there until it is due. A task that retries (autoretry_for, self.retry)
// publishes a copy of its message with the same id, retries + 1 and an ETA;
// there is no dead-letter list. Queue.Progress reads these.
//
// Without a result backend, which leak specs leave off, nothing in Redis
// says that a task ended. Monitor reads it from the worker's own log lines
// instead ("Task <name>[<id>] succeeded in ...", "retry: Retry in 0.2s:
// ...", "raised unexpected: ..."), counts them, and turns retries,
// successes and failures into events on the recording.
//
// # The worker process
//
// StartWorker runs `python3 -m celery -A <app> worker` (Debian ships no
// celery launcher) in its own process group, with its broker in
// CELERY_BROKER_URL, and returns once it logs "celery@<host> ready.". The
// solo pool runs every task in that one process; the prefork pool forks
// Concurrency children that share the parent's pages until they write to
// them, which is why a prefork pool is judged on its summed PSS: summed RSS
// counts every shared page once per process. Stopping the worker kills its
// whole group at once (worker.StopKill), children included: a recording is
// over by then, and every child writes its own lines, unbuffered.
//
// --max-tasks-per-child and --max-memory-per-child replace pool children,
// and a replaced child takes its leak with it: they are off unless a spec
// asks for them, and Warnings says so when it does.
package celery
