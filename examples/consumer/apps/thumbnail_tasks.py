"""Celery tasks of the example: a thumbnailer whose memo once leaked.

The leak was a memo of every image it had ever scaled, keyed by the image,
which only grew; the fix bounded it to the last few images with an LRU
cache. The spec in memtest/celery_test.go keeps it fixed.
"""

import functools

from celery import Celery

# The broker comes from CELERY_BROKER_URL, which leakspec sets.
app = Celery("thumbnail_tasks")


# The fix: maxsize=16. The leak was maxsize=None, a memo without bound.
@functools.lru_cache(maxsize=16)
def _scaled(image_id, size):
    return b"x" * (size * 1024)


@app.task
def thumbnail(image_id):
    return len(_scaled(image_id, 256))
