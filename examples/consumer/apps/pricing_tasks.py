"""Celery tasks of the example: a price lookup whose table once leaked.

A consumer step loads the price table each time the worker's consumer
starts, which it also does after every lost broker connection. The leak
appended each new table to the tables kept; the fix keeps the latest only.
The spec in memtest/reconnect_test.go keeps it fixed.
"""

from celery import Celery, bootsteps

app = Celery("pricing_tasks")
_tables = []


class LoadPriceTable(bootsteps.StartStopStep):
    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, c):
        table = bytearray(8 * 1024 * 1024)
        # The fix: replace the table. The leak was _tables.append(table).
        _tables[:] = [table]


app.steps["consumer"].add(LoadPriceTable)


@app.task
def price(item):
    return len(_tables[-1]) + item
