"""leakspec's heap probe, imported by Python at start-up through PYTHONPATH.

It does nothing unless LEAKSPEC_PYHEAP_DIR is set. Then it imports
leakspec_pyheap, which listens on <dir>/<pid>.sock in this process and, after
a fork, in the child. Any other sitecustomize further along sys.path (the
app's, or the distribution's) still runs, after this one: Python imports only
the first sitecustomize it finds, so this file chains to the next.
"""

import os
import sys


def _chain():
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        path = os.path.join(os.path.abspath(entry or "."), "sitecustomize.py")
        if os.path.dirname(path) == here or not os.path.isfile(path):
            continue
        import importlib.util

        spec = importlib.util.spec_from_file_location("_leakspec_chained_sitecustomize", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return


if os.environ.get("LEAKSPEC_PYHEAP_DIR"):
    try:
        import leakspec_pyheap

        leakspec_pyheap.listen()
    except Exception as exc:  # the worker must start whatever the probe does
        sys.stderr.write("leakspec pyheap: probe not started: %r\n" % (exc,))

try:
    _chain()
finally:
    del _chain
