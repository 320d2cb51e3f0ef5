"""A plain Redis consumer, not built on any queue library.

It pops JSON orders from a Redis list with BLPOP, prices each one, and
pushes the total to another list. leakspec records it like any worker:
memtest/consumer_test.go starts it with env.Start and a worker.Command.
"""
import json
import os
import sys

import redis


def price(order):
    # Building the lines allocates a few MiB per order, freed on return.
    lines = [b"x" * 1024 for _ in range(order["lines"])]
    return sum(len(line) for line in lines) * order["unit_cents"]


def main():
    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    queue = sys.argv[1] if len(sys.argv) > 1 else "orders"
    print("consumer listening on %s" % queue, flush=True)
    while True:
        _, raw = r.blpop(queue)
        order = json.loads(raw)
        r.rpush(queue + ".done", price(order))


if __name__ == "__main__":
    main()
