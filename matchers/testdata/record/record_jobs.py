"""Jobs with known memory behaviour, to record real series for leakspec's
detection benchmark."""
import ctypes
import gc
import random

# A fixed mmap threshold of 1 MiB: every buffer of a MiB or more is its own
# mapping, returned to the kernel when freed, so RSS shows frees at once.
ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)

_kept = []
_cache = {}
_cycles = 0


def _alloc(n):
    return b"\xa5" * n


def drop_mib(mib):
    return len(_alloc(mib << 20))


def keep_kib(kib):
    _kept.append(_alloc(kib << 10))
    return len(_kept)


def cache_put(kib, keys):
    _cache[random.randrange(keys)] = _alloc(kib << 10)
    return len(_cache)


def cyclic_mib(mib, every):
    """Leave a reference cycle holding mib MiB; collect only every n-th job,
    as a lagging cyclic collector would."""
    global _cycles
    gc.disable()
    a = [_alloc(mib << 20)]
    a.append(a)
    _cycles += 1
    if _cycles % every == 0:
        gc.collect()
    return _cycles
