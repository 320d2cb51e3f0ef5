"""A real process tree of known size and memory, for the worker package's tests.

Usage: python3 tree.py CHILDREN MEBIBYTES

Prints "waiting" and waits for one line on stdin, so that a test can sample
the tree before it grows. Then it allocates MEBIBYTES of memory and writes
every page of it, forks CHILDREN children that share those pages and sleep,
and prints "ready" once all of them exist. When stdin closes, it stops its
children, reaps them and exits, so that no orphan is left for init to reap.
"""

import os
import signal
import sys


def main():
    children, mebibytes = int(sys.argv[1]), int(sys.argv[2])
    print("waiting", flush=True)
    sys.stdin.readline()
    # Repeating a byte writes every byte, so every page is resident at once;
    # the ballast is held until main returns.
    ballast = b"x" * (mebibytes << 20)  # noqa: F841
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            signal.pause()  # until the parent's SIGTERM
            os._exit(0)
        pids.append(pid)
    print("ready", flush=True)
    sys.stdin.read()
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    for pid in pids:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
