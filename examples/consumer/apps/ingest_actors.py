"""Dramatiq actors of the example: an ingester whose error log once leaked.

The leak was a list of every failed record, each with the payload that
failed, kept for a report nobody read; the fix keeps the last few. The
spec in memtest/dramatiq_test.go keeps it fixed.
"""

import collections
import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

dramatiq.set_broker(RedisBroker(url=os.environ["REDIS_URL"]))

# The fix: maxlen=8. The leak was a plain list.
_failures = collections.deque(maxlen=8)


@dramatiq.actor(max_retries=0)
def ingest(record_id):
    payload = b"x" * (512 * 1024)
    if record_id % 2:
        _failures.append((record_id, payload))
