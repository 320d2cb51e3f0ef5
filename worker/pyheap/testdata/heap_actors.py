"""heap_jobs' functions as Dramatiq actors, for pyheap's tests, on the Redis
that REDIS_URL names."""

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

import heap_jobs

dramatiq.set_broker(RedisBroker(url=os.environ["REDIS_URL"]))

for _name in ("keep", "keep_pending", "keep_pending_in_local", "drop", "cycle"):
    dramatiq.actor(getattr(heap_jobs, _name), actor_name=_name, max_retries=0)
