"""Actors for the package tests of worker/dramatiq, run by a real Dramatiq
worker on the Redis that REDIS_URL names."""

import os
import time

import dramatiq
from dramatiq.brokers.redis import RedisBroker

dramatiq.set_broker(RedisBroker(url=os.environ["REDIS_URL"]))


class HeldData(Exception):
    """Raised by the failing actors; never TimeoutError, which blocks an
    async actor's thread on Dramatiq 2.0.0 with Python 3.11."""


@dramatiq.actor
def add(a, b):
    return a + b


@dramatiq.actor
def fail(mb):
    data = b"x" * (mb * 1024 * 1024)
    raise HeldData("failed while holding %d bytes" % len(data))


@dramatiq.actor
def sleep(seconds):
    time.sleep(seconds)
