"""heap_jobs' functions as Celery tasks, for pyheap's tests."""

from celery import Celery

import heap_jobs

app = Celery("heap_tasks")
app.conf.update(task_ignore_result=True, worker_enable_remote_control=False)

for _name in ("keep", "keep_pending", "keep_pending_in_local", "drop", "cycle"):
    app.task(name="heap_tasks." + _name)(getattr(heap_jobs, _name))
