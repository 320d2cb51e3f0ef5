"""A Celery app for the package tests of worker/celery, run by a real worker."""
import time

from celery import Celery

app = Celery("tasks")
app.conf.update(
    task_ignore_result=True,
    worker_enable_remote_control=False,
)


@app.task
def add(a, b):
    return a + b


@app.task
def boom():
    raise ValueError("boom")


@app.task
def echo(*args, **kwargs):
    """Return what the worker decoded, for the round trip of arguments."""
    return [list(args), kwargs]


@app.task(bind=True, max_retries=2, default_retry_delay=0.2)
def retry_twice(self):
    """Fail, retry after 0.2 s twice, then fail for good."""
    raise self.retry(exc=RuntimeError("failed on purpose"))


@app.task
def nap(seconds):
    time.sleep(seconds)
    return seconds


@app.task
def exit_worker(status):
    """End the process that runs it at once, as a crash would."""
    import os

    os._exit(status)
