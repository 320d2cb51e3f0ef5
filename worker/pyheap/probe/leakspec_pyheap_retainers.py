"""The retainer search of leakspec's heap probe (leakspec_pyheap): which
of the objects allocated since tracing started are the largest still
alive, and what keeps each alive, as a chain of referrers up to a module's
global or a running frame. It is imported on the first request for
retainers, on the probe's own thread, with the collector held off.
"""

import gc
import os
import sys
import threading
import time
import tracemalloc
from itertools import filterfalse


class _Budget(Exception):
    pass


def retainers(k, min_bytes, seconds, depth, sites=()):
    """For the k largest objects, at least min_bytes each, traced since
    tracing started and still alive, and for a few objects of each of sites
    (see _site_examples), a chain of referrers to a root (a module's
    global, a thread's frame), searched for at most seconds and depth
    levels: the probe's "retainers" command."""
    deadline = time.monotonic() + seconds
    if not tracemalloc.is_tracing():
        return {"pid": os.getpid(), "error": "tracing is off: send start first"}
    t0 = time.monotonic()
    # A running function's locals are not seen by the collector until its
    # frame object exists; asking for every thread's frames creates them,
    # so that a local holding the data is found and named.
    roots = _roots()
    objs = gc.get_objects()
    # The scans for the largest objects and for the sites' get half and a
    # quarter of the time at most, so that the chains, which need far
    # less, still get some.
    targets = _largest_traced(objs, k, min_bytes, t0 + seconds / 2, {id(objs)})
    by_site = _site_examples(objs, sites, t0 + seconds * 3 / 4, {id(objs), id(targets)})
    known = {id(o) for o, _ in targets}
    by_site = [(o, holders) for o, holders in by_site if id(o) not in known]
    del known
    targets.extend(by_site)
    first_by_site = len(targets) - len(by_site)
    del by_site
    scanned = len(objs)
    del objs
    t1 = time.monotonic()
    chains = _chains(targets, roots, deadline, depth)
    targets = [o for o, _ in targets]
    t2 = time.monotonic()
    out = []
    timed_out = time.monotonic() > deadline
    for n, (obj, (chain, complete)) in enumerate(zip(targets, chains)):
        tb = tracemalloc.get_object_traceback(obj)
        out.append({
            "type": type(obj).__name__, "size": sys.getsizeof(obj),
            "allocated": _frames(tb) if tb else [],
            "chain": chain, "complete": complete,
            "stopped": "" if complete else ("time" if timed_out else "depth or garbage"),
            "by_site": n >= first_by_site,
        })
    del targets
    return {"pid": os.getpid(), "objects": out, "scanned": scanned,
            "find_seconds": round(t1 - t0, 3), "chain_seconds": round(t2 - t1, 3),
            "timed_out": timed_out}


def _frames(traceback):
    # tracemalloc lists the oldest frame first; a report reads innermost
    # first, the line that allocated.
    return [{"file": f.filename, "line": f.lineno} for f in reversed(traceback)]


def _own_frames():
    frame = sys._getframe()
    while frame is not None:
        yield frame
        frame = frame.f_back


# How many of the collector's objects the scan for the largest asks at
# once whether they hold a large one, in one list of their referents, before
# it walks them one by one, with a list each.
_CHUNK = 64

# What sys.getsizeof adds to __sizeof__ at most: the collector's header
# (and, since 3.12, the pre-header of a managed dict).
_GC_HEADER = 64

# The untracked containers the scan looks into.
_SEE_THROUGH = (dict, tuple)


def _largest_traced(objs, k, min_bytes, deadline, ignore):
    """The k largest objects, at least min_bytes each, that were allocated
    since tracing started and are alive, each with the objects that hold
    it, innermost first, up to one the collector tracks.

    gc.get_objects() holds tracked containers only, so the untracked
    objects they refer to are looked at too: a bytes or a bytearray is where
    the memory usually is. CPython also untracks a dict or a tuple that
    holds only such objects, such as an exception's __dict__ holding a
    bytes: those are looked through, one level."""
    scan = _Largest(k, min_bytes, ignore)
    for start in range(0, len(objs), _CHUNK):
        if start % 4096 == 0 and time.monotonic() > deadline:
            break
        chunk = objs[start:start + _CHUNK]
        if scan.any_large(chunk):
            scan.walk(chunk)
        del chunk
    return [(o, holders) for _, o, holders in sorted(scan.best.values(), key=lambda v: -v[0])]


def _site_examples(objs, sites, deadline, ignore):
    """Live objects allocated at each of sites (frames as tracemalloc
    keeps them, the sizes of their blocks, and the sizes that hold most of
    their bytes, its bulk), with the objects that hold each as
    _largest_traced gives them, in the order of sites; a site none of
    whose objects is found before the deadline is left out.

    For each site, up to _PER_SITE objects of its bulk and as many of other
    sizes, each held in another way (by holders of other types): the first
    found may be held by garbage while the rest of the site sits in a
    buffer, whose chain alone reaches a root. The large containers are
    looked into first, then every object, oldest first, until each site
    has an object of its bulk. Untracked dicts and tuples are looked into
    two levels deep.

    Asking every object for its traceback would take seconds in a large
    heap (each answer is a traced allocation too), so only an object the
    size of one of the sites' blocks is asked: a str or bytes is one block
    of its __sizeof__, and a container's own block is its fixed part and
    the collector's header, its items another. Of what a container holds,
    only _SAMPLE items spread over it, the last among them, are looked at:
    a container that holds a leak's many objects holds them throughout,
    and appended last. The traceback must then be the site's, all frames."""
    if not sites:
        return []
    # The sizes are turned into what __sizeof__ and __basicsize__ answer,
    # so that an object is matched without arithmetic, which allocates.
    want, by_sizeof, by_basic, bulk = {}, set(), set(), []
    for frames, blocks, most in sites:
        want[frames] = len(want)
        by_sizeof.update(_sizeof_of(blocks))
        by_basic.update(_basicsize_of(blocks))
        bulk.append((_sizeof_of(most), _basicsize_of(most)))
    traceback_of = tracemalloc._get_object_traceback  # raw frames, as snapshots keep them
    get_referents, is_tracked = gc.get_referents, gc.is_tracked
    found, done = {}, set()  # site -> [(object, holders, of the bulk, kind)]

    def consider(o, holders):
        t = type(o)
        s, b = t.__sizeof__(o), t.__basicsize__
        if (s not in by_sizeof and b not in by_basic) or id(o) in ignore:
            return
        n = want.get(traceback_of(o))
        if n is None or n in done:
            return
        of_bulk = s in bulk[n][0] or b in bulk[n][1]
        examples = found.setdefault(n, [])
        # One example per kind of holding: a thousand results held alike
        # by dropped AsyncResults would otherwise crowd out the one buffer
        # that holds the rest, and that reaches a root.
        kind = (t,) + tuple(type(h) for h in holders)
        alike = [e for e in examples if e[2] == of_bulk]
        if len(alike) == _PER_SITE or any(e[3] == kind for e in alike):
            return
        examples.append((o, holders, of_bulk, kind))
        if sum(e[2] for e in examples) == _PER_SITE:
            done.add(n)
            if len(done) == len(want):
                raise _Found

    def look_into(r, holders, depth):
        # Untracked dicts and tuples, which the collector does not list,
        # nested as decoded messages are: a result dict in a buffer dict.
        for rr in _spread(get_referents(r)):
            if not is_tracked(rr):
                consider(rr, (r,) + holders)
                if depth > 1 and type(rr) in _SEE_THROUGH:
                    look_into(rr, (r,) + holders, depth - 1)

    def scan(o):
        consider(o, ())
        for r in _spread(get_referents(o)):
            if not is_tracked(r):
                consider(r, (o,))
                if type(r) in _SEE_THROUGH:
                    look_into(r, (o,), 2)

    try:
        # The large containers first, largest first: a leak of many small
        # objects is a buffer that holds them, large by now, while the
        # objects that hold one each (dropped AsyncResults caching one
        # result) are as often garbage not collected yet.
        large = [o for o in objs if type(o).__sizeof__(o) >= _LARGE_HOLDER]
        large.sort(key=lambda o: type(o).__sizeof__(o), reverse=True)
        for k, o in enumerate(large):
            if k % 256 == 0 and time.monotonic() > deadline:
                break
            scan(o)
        del large
        # Then, oldest first (the collector lists the youngest first),
        # until each site has an object of its bulk.
        for end in range(len(objs), 0, -_CHUNK):
            if all(any(e[2] for e in found.get(n, ())) for n in range(len(want))):
                break
            if end % 4096 < _CHUNK and time.monotonic() > deadline:
                break
            for o in objs[max(end - _CHUNK, 0):end]:
                scan(o)
    except _Found:
        pass
    return [(e[0], e[1]) for n in sorted(found) for e in found[n]]


class _Found(Exception):
    pass


# How many of a container's items the search for a site's objects looks at.
_SAMPLE = 32

# The size from which a container is scanned first for a site's objects:
# some hundred items.
_LARGE_HOLDER = 4096

# How many objects of a site the search explains, each held in another way
# (by holders of other types): the first found may be held by garbage (a
# result cached in a dropped AsyncResult) while most of the site sits in a
# buffer that is not.
_PER_SITE = 3


def _spread(items):
    """About _SAMPLE of items, evenly spread, the last one included. The
    step is odd: a dict lists each value beside its key, and an even step
    would only ever reach one of the two."""
    n = len(items)
    return items if n <= _SAMPLE else items[n - 1::-(n // _SAMPLE | 1)]


def _sizeof_of(blocks):
    """What __sizeof__ answers for an object that is a block of one of
    blocks' sizes: all of it (a str, a bytes), or all but the collector's
    header (a tuple)."""
    return set(blocks) | {b - _GC_PRE for b in blocks}


def _basicsize_of(blocks):
    """What the type's __basicsize__ is for a container whose own block is
    one of blocks' sizes (its items are another block): with the
    collector's header, and on 3.12 a managed dict's too."""
    return {b - _GC_PRE for b in blocks} | {b - 2 * _GC_PRE for b in blocks}


# The collector's header before a tracked object's block, which __sizeof__
# leaves out (3.12 adds as much again before an object with a managed dict).
_GC_PRE = sys.getsizeof([]) - [].__sizeof__()


class _Largest:
    """The scan of _largest_traced, the probe's slowest loop: over every
    object and what it refers to, with tracemalloc on, where every
    allocation costs a traceback. It allocates next to nothing per object.
    sys.getsizeof would bind a method and allocate its result; __sizeof__
    called through the type binds nothing, and its result is mostly a small
    int, which is shared. A chunk of objects is first asked, in one list
    of referents, whether anything in it is large enough; only such a
    chunk, which is rare, is walked object by object, in the order that
    decides which object's holders are named."""

    def __init__(self, k, min_bytes, ignore):
        self.k, self.min_bytes, self.ignore = k, min_bytes, ignore
        self.best = {}  # id -> (size, obj, holders)
        self.floor = min_bytes
        self.rough = min_bytes - _GC_HEADER  # floor, for __sizeof__

    def walk(self, objs):
        get_referents, is_tracked = gc.get_referents, gc.is_tracked
        for o in objs:
            if type(o).__sizeof__(o) >= self.rough:
                self.consider(o, ())
            for r in get_referents(o):
                if is_tracked(r):
                    continue
                t = type(r)
                if t.__sizeof__(r) >= self.rough:
                    self.consider(r, (o,))
                if t in _SEE_THROUGH:
                    for rr in get_referents(r):
                        if not is_tracked(rr) and type(rr).__sizeof__(rr) >= self.rough:
                            self.consider(rr, (r, o))

    def any_large(self, objs):
        """Whether an object of objs, an untracked one it refers to, or one
        in such a dict or tuple, has a __sizeof__ of rough or more."""
        rough = self.rough
        for o in objs:
            if type(o).__sizeof__(o) >= rough:
                return True
        inner = []
        for r in filterfalse(gc.is_tracked, gc.get_referents(*objs)):
            t = type(r)
            if t.__sizeof__(r) >= rough:
                return True
            if t in _SEE_THROUGH:
                inner.append(r)
        for rr in filterfalse(gc.is_tracked, gc.get_referents(*inner)):
            if type(rr).__sizeof__(rr) >= rough:
                return True
        return False

    def consider(self, o, holders):
        i, best = id(o), self.best
        if i in best or i in self.ignore:
            return
        size = sys.getsizeof(o)
        if size < self.floor or tracemalloc.get_object_traceback(o) is None:
            return
        best[i] = (size, o, holders)
        if len(best) > self.k:
            smallest = min(best, key=lambda j: best[j][0])
            del best[smallest]
        if len(best) == self.k:
            self.floor = max(self.min_bytes, min(v[0] for v in best.values()) + 1)
            self.rough = self.floor - _GC_HEADER


def _roots():
    modules = {}
    for name, mod in list(sys.modules.items()):
        d = getattr(mod, "__dict__", None)
        if isinstance(d, dict):
            modules[id(d)] = name
    frames = {}
    for tid, frame in sys._current_frames().items():
        if tid == threading.get_ident():
            continue
        while frame is not None:
            frames[id(frame)] = tid
            frame = frame.f_back
    return modules, frames


# How many referrers one level of the search follows at most: a widely
# shared object (a type, an empty tuple) has thousands, none of them the
# interesting one.
_MAX_FRONTIER = 2000

# How many referrers of one type one level follows at most, so that
# thousands of one kind (a backend's AsyncResults, garbage in cycles) do
# not fill the frontier before the one holder that leads to a root (the
# thread-local it lives in).
_MAX_PER_TYPE = 64


def _chains(targets, roots, deadline, depth):
    """Breadth-first over referrers from all targets at once, one pass of
    gc.get_referrers (a C loop over the collector's objects) per level,
    until each target reaches a root: a module's globals, a frame of a live
    thread, or a running coroutine. Returns for each target its hops from
    the object outwards and whether a root was reached.

    Targets often share their holders (many blocks in one list): a target
    whose search meets a node another target's search already holds joins
    that one's chain there."""
    modules, frames = roots
    # The search's own containers refer to the objects it follows: they and
    # the probe thread's frames are not referrers to report.
    child_of, origin, found, deepest, joins = {}, {}, {}, {}, {}
    ignore = {id(child_of), id(origin), id(found), id(deepest), id(joins), id(targets)}
    ignore.update(id(f) for f in _own_frames())
    ignore.update(id(t) for t in targets)  # the (object, holders) pairs
    ignore.update(id(h) for _, h in targets)

    def is_root(o):
        return id(o) in modules or id(o) in frames or _is_running_coroutine(o)

    frontier = []
    for n, (t, holders) in enumerate(targets):
        origin[id(t)] = n
        # The holders the scan saw, untracked ones included, which
        # gc.get_referrers cannot find: the search goes on from the last.
        child = t
        for h in holders:
            if id(h) in origin:
                joins[n] = (h, child)
                break
            origin[id(h)], child_of[id(h)] = n, child
            deepest[n] = child = h
        else:
            if holders and is_root(child):
                found[n] = child
            else:
                frontier.append(child)
    for _ in range(depth):
        if not frontier or time.monotonic() > deadline:
            break
        by_id = {id(o): o for o in frontier}
        referrers = gc.get_referrers(*frontier)
        ignore.update((id(frontier), id(by_id), id(referrers)))
        following, per_type = [], {}
        ignore.update((id(following), id(per_type)))
        for r in referrers:
            rid = id(r)
            if rid in ignore:
                continue
            kind = type(r)
            if per_type.get(kind, 0) >= _MAX_PER_TYPE and not is_root(r):
                continue
            child = None
            for c in gc.get_referents(r):
                if id(c) in by_id:
                    child = by_id[id(c)]
                    break
            if child is None:
                continue
            n = origin[id(child)]
            if rid in origin:
                if origin[rid] != n and n not in found and n not in joins:
                    joins[n] = (r, child)
                continue
            origin[rid], child_of[rid] = n, child
            if n in found or n in joins:
                continue
            deepest[n] = r
            if is_root(r):
                found[n] = r
            elif len(following) < _MAX_FRONTIER:
                following.append(r)
                per_type[kind] = per_type.get(kind, 0) + 1
        del referrers, by_id, per_type
        frontier = following

    def path(end, target):
        nodes = []
        o = end
        while o is not None and o is not target and id(o) in child_of:
            nodes.append(o)
            o = child_of[id(o)]
        nodes.append(target)
        nodes.reverse()  # target first
        return nodes

    def chain(n, seen=()):
        t = targets[n][0]
        if n in found or n not in joins or n in seen:
            end = found.get(n, deepest.get(n))
            return (path(end, t) if end is not None else [t]), n in found
        node, child = joins[n]
        own = path(child, t) + [node]
        other, complete = chain(origin[id(node)], seen + (n,))
        for i, o in enumerate(other):
            if o is node:
                return own + other[i + 1:], complete
        return own, False

    out = []
    for n in range(len(targets)):
        nodes, complete = chain(n)
        out.append((_describe(nodes, modules, frames), complete))
    return out


def _is_running_coroutine(o):
    name = type(o).__name__
    return (name == "coroutine" and o.cr_frame is not None) or name == "Task"


def _describe(nodes, modules, frames):
    """The hops of nodes (the object, then each referrer of the one before),
    each naming the referrer and how it holds the next object."""
    hops = [_label(nodes[0])]
    i = 1
    while i < len(nodes):
        referrer, child = nodes[i], nodes[i - 1]
        # An instance's __dict__ reads better as Owner.attr.
        if isinstance(referrer, dict) and i + 1 < len(nodes):
            owner = nodes[i + 1]
            if getattr(owner, "__dict__", None) is referrer:
                hops.append(_attr_hop(owner, child))
                i += 2
                continue
        hops.append(_hop(referrer, child, modules, frames))
        i += 1
    return hops


def _label(o):
    return "%s (%s)" % (type(o).__name__, _size(sys.getsizeof(o)))


def _size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1000.0


def _qual(o):
    t = type(o)
    return t.__name__ if t.__module__ in ("builtins", None) else "%s.%s" % (t.__module__, t.__qualname__)


def _attr_hop(owner, child):
    d = getattr(owner, "__dict__", None)
    if isinstance(d, dict):
        for key, value in list(d.items()):
            if value is child:
                return "%s.%s" % (type(owner).__qualname__, key)
    for name in _slot_names(type(owner)):
        try:
            if getattr(owner, name) is child:
                return "%s.%s" % (type(owner).__qualname__, name)
        except Exception:
            continue
    return _qual(owner)


def _slot_names(t):
    # Only C-level fields and __slots__: reading them runs no user code,
    # unlike a property.
    names = ["args", "__traceback__", "__context__", "__cause__", "__self__",
             "__func__", "__closure__", "cr_frame", "gi_frame", "tb_frame", "tb_next", "f_back"]
    for klass in t.__mro__:
        for name, value in vars(klass).items():
            kind = type(value).__name__
            if kind in ("member_descriptor", "getset_descriptor") and name not in names:
                names.append(name)
    return names


def _hop(referrer, child, modules, frames):
    rid = id(referrer)
    if rid in modules:
        for key, value in list(referrer.items()):
            if value is child:
                return "%s.%s (module global)" % (modules[rid], key)
        return "%s (module globals)" % modules[rid]
    if rid in frames or type(referrer).__name__ == "frame":
        code = referrer.f_code
        name = "%s() at %s:%d" % (code.co_name, os.path.basename(code.co_filename), referrer.f_lineno)
        local = ""
        try:
            for key, value in list(referrer.f_locals.items()):
                if value is child:
                    local = " local %s" % key
                    break
        except Exception:
            pass
        where = " (frame of thread %d)" % frames[rid] if rid in frames else " (frame)"
        return "%s%s%s" % (name, local, where)
    if isinstance(referrer, dict):
        for key, value in list(referrer.items()):
            if value is child:
                return "dict[%s]" % _short_repr(key)
            if key is child:
                return "dict key"
        return "dict"
    if isinstance(referrer, (list, tuple)):
        for n, value in enumerate(referrer):
            if value is child:
                return "%s[%d]" % (type(referrer).__name__, n)
        return type(referrer).__name__
    if isinstance(referrer, (set, frozenset)):
        return type(referrer).__name__
    hop = _attr_hop(referrer, child)
    if _is_running_coroutine(referrer):
        hop += " (running coroutine)"
    return hop


def _short_repr(key):
    text = repr(key) if isinstance(key, (str, int, bytes, float)) else type(key).__name__
    return text if len(text) <= 40 else text[:37] + "..."
