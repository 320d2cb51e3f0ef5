"""Jobs for pyheap's tests, run by real RQ, Celery and Dramatiq workers.

keep leaks (a module global keeps every block), drop does not, and cycle
leaves garbage that only the cyclic collector frees: each call's exception
refers, through its traceback, to the frame that refers to the exception.
"""

import gc
import json
import threading

_kept = []


class Holder(Exception):
    def __init__(self, data):
        super().__init__("holding %d bytes" % len(data))
        self.data = data


def keep(mb):
    _kept.append(bytearray(mb << 20))
    return len(_kept)


def keep_decoded(mb):
    """Keep what json.loads decoded, about mb MiB of small strings: memory
    the standard library allocated for this caller, as a result backend's
    buffer of decoded messages holds it."""
    payload = json.dumps(["%1000d" % i for i in range(mb * 1024)])
    _kept.append(json.loads(payload))
    return len(_kept)


class Backend:
    def __init__(self):
        self._pending_messages = {}


_backend = Backend()


def keep_pending(mb):
    """Keep mb MiB in results of 16 KB each, in an instance's dict: many
    small objects, none large, as Celery's Redis result backend kept every
    message it read in _pending_messages (celery#8166)."""
    pending = _backend._pending_messages
    for _ in range(mb * 64):
        pending[len(pending)] = {"status": "SUCCESS", "result": "%16000d" % len(pending)}
    return len(pending)


class App:
    """An app whose backend lives in a thread-local, as Celery's does."""

    def __init__(self):
        self._local = threading.local()


class Result:
    def __init__(self, backend):
        self.backend = backend
        self.me = self  # a cycle: garbage once dropped, until a collection


_app = App()


def keep_pending_in_local(mb):
    """keep_pending, with the backend held only by a thread-local of a
    module global, and thousands of results in garbage cycles referring to
    it, as Celery #8166's reader had AsyncResults: the holders a retainer
    search meets first, none of them reaching a root."""
    backend = getattr(_app._local, "backend", None)
    if backend is None:
        backend = _app._local.backend = Backend()
        # Old by the time the leak is looked into, as in a worker that has
        # run for a while: the collector lists the young garbage first.
        gc.collect()
    gc.disable()
    for _ in range(3000):
        Result(backend)
    pending = backend._pending_messages
    for _ in range(mb * 64):
        pending[len(pending)] = {"status": "SUCCESS", "result": "%16000d" % len(pending)}
    return len(pending)


def keep_half_pending(mb):
    """keep_pending, where every other result is held only by garbage (a
    dropped result object in a cycle) and the rest by the backend's
    buffer: the buffer is what leaks."""
    gc.disable()
    pending = _backend._pending_messages
    for i in range(mb * 128):
        result = {"status": "SUCCESS", "result": "%16000d" % i}
        if i % 2:
            pending[len(pending)] = result
        else:
            Result(_backend).cache = result
    return len(pending)


def drop(mb):
    data = bytearray(mb << 20)
    return len(data)


def cycle(mb):
    # In a large worker, cyclic garbage that was alive long enough to reach
    # the oldest generation waits for a full collection, which CPython runs
    # rarely. This small worker's next young collection would free it at
    # once; turning the automatic collector off, as some apps do for
    # latency, stands for that wait.
    gc.disable()
    try:
        raise Holder(bytearray(mb << 20))
    except Holder as exc:
        err = exc  # the frame keeps err, err.__traceback__ keeps the frame
    return len(err.data)


def churn(n):
    """Allocation-heavy work that keeps nothing, for the benchmark: n small
    dicts and strings, as decoding a JSON payload makes."""
    rows = [{"id": i, "name": str(i), "tags": [i, i + 1]} for i in range(n)]
    return len(rows)
