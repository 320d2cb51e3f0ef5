"""A process group that gets an orphan, for the worker package's tests.

Usage: python3 orphan.py

Forks a child, which forks a grandchild; all three stay in the leader's
process group. Prints "ready GRANDCHILD_PID" once both exist, then waits for
a line on stdin. On it, kills the child and reaps it, so that the kernel
reparents the grandchild to init: only its process group still ties it to
the leader. Prints "orphaned" then. When stdin closes, it kills the
grandchild (which init reaps) and exits.
"""

import os
import signal
import sys


def main():
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        grandchild = os.fork()
        if grandchild == 0:
            os.close(w)
            signal.pause()  # until the leader's SIGKILL
            os._exit(0)
        os.write(w, b"%d\n" % grandchild)
        os.close(w)
        signal.pause()
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as pipe:
        grandchild = int(pipe.readline())
    print("ready", grandchild, flush=True)
    try:
        sys.stdin.readline()
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        print("orphaned", flush=True)
        sys.stdin.read()
    finally:
        os.kill(grandchild, signal.SIGKILL)


if __name__ == "__main__":
    main()
