"""Jobs for the package tests of worker/rq, run by a real RQ worker."""


def add(a, b):
    return a + b


def boom():
    raise ValueError("boom")


def fail_and_count(path):
    """Append a line to path, then fail: the file counts the runs."""
    with open(path, "a") as f:
        f.write("run\n")
    raise RuntimeError("failed on purpose")
