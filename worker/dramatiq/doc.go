// Package dramatiq drives a Dramatiq worker (2.0 and later, RedisBroker):
// it enqueues messages from Go in Dramatiq's own Redis format, reads the
// worker's progress back from Redis and its retries from its log, and
// starts `python -m dramatiq`.
//
// # How the RedisBroker keeps messages
//
// Every key lives under the namespace "dramatiq". A queue q is a list,
// dramatiq:q, of Redis message ids, and a hash, dramatiq:q.msgs, from those
// ids to the messages' JSON. A producer writes the hash entry, then pushes
// the id, in one transaction (Queue.Enqueue, Queue.EnqueueMany); the worker
// pops ids, adds each to its acks set dramatiq:__acks__.<broker id>.q, runs
// the message, and on success deletes it from the set and the hash: a
// message that succeeded leaves no trace. Each worker stamps its broker id
// in the sorted set dramatiq:__heartbeats__.
//
// A message is compact JSON with exactly seven keys, in this order:
// queue_name, actor_name, args, kwargs, options, message_id (a UUID that
// stays the same across retries) and message_timestamp (milliseconds). A
// key more makes the worker fail to decode it. Options carry the
// redis_message_id (a fresh UUID for every copy of the message in Redis,
// which acks need) and the per-message overrides of Options.
//
// When an attempt fails, the Retries middleware counts it in
// options.retries, stores the traceback, and enqueues a copy on the delay
// queue (dramatiq:q.DQ and dramatiq:q.DQ.msgs) with an eta, before it acks
// the failed copy; when the eta has passed, the worker moves the message
// back to q, again enqueueing before acking. A message out of retries is
// dead-lettered: the copy stored in dramatiq:q.msgs, as it was before its
// last failure was counted, moves to dramatiq:q.XQ.msgs and its id to the
// sorted set dramatiq:q.XQ. Queue.Progress counts those keys and
// Queue.Status finds one message in them; nothing has to ask the worker.
//
// A producer written in Python also stamps itself in the heartbeats set,
// since every call of the broker's script does; the worker uses that set
// only to find the acks of dead workers, so the Go producer writes none.
//
// # The worker
//
// StartWorker runs `python -m dramatiq MODULE --processes P --threads T`
// with the app directory first on PYTHONPATH, ahead of the caller's (which
// may be what brings Dramatiq: Debian does not package it), and the Redis
// URL in REDIS_URL for the app to read. The main process forks P worker
// processes, each logging "Worker process is ready for action."; the
// memory to sample is the whole tree. Its graceful stop takes seconds (a
// 1 s sleep loop per process, then 1 s polls of its threads), and the
// worker processes log through pipes that the main process relays, so the
// worker is stopped with worker.StopChildrenFirst: the worker processes
// are killed, and the main process once it has read their last lines.
//
// Probe tells whether an interpreter can import Dramatiq, so that a suite
// can skip, with the reason, where it cannot.
package dramatiq
