"""RQ jobs of the example: a report renderer whose cache once leaked.

The leak was a module-level cache that kept a slice of every report's rows;
the fix bounded it. The spec in memtest/rq_test.go keeps it fixed.
"""

_CACHE_LIMIT = 8
_cache = []


def render_report(n_rows):
    rows = [("row %d;" % i) * 100 for i in range(n_rows)]
    _cache.append(rows[::50])
    # The fix: keep only the last few reports' samples.
    del _cache[:-_CACHE_LIMIT]
    return len(rows)
