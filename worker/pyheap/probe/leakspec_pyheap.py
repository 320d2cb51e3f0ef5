"""leakspec's heap probe: answers a spec's questions about this process's
Python heap over a Unix socket, <LEAKSPEC_PYHEAP_DIR>/<pid>.sock.

One request per connection, one JSON line each way:

  {"cmd": "start", "frames": 8}        tracemalloc.start(frames)
  {"cmd": "snapshot", "path": P, "top": N}
      writes the N largest allocation sites (grouped by traceback) and the
      process's totals to P as JSON
  {"cmd": "collect"}                   gc.collect(), and what it freed
  {"cmd": "retainers", "objects": K, "min_bytes": B, "seconds": S}
      for the K largest objects traced since start and still alive, a
      chain of referrers to a root
  {"cmd": "report", ...}               snapshot, retainers, then collect

Every command is bounded (a deadline, object caps) and runs on the probe's
own daemon thread: the worker's threads go on while it runs, and a probe that
fails answers with {"error": ...} rather than raising into the worker.
"""

import gc
import json
import os
import socket
import sys
import threading
import time
import tracemalloc
from itertools import filterfalse

_state = {"server": None, "pid": None}
_THIS_FILE = os.path.abspath(__file__)


def listen():
    """Start the listener in this process, and in every child forked later."""
    _serve()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_serve)


def _serve():
    directory = os.environ.get("LEAKSPEC_PYHEAP_DIR")
    if not directory:
        return
    # A forked child inherits the parent's listening socket object but not
    # its thread; it gets its own socket, named by its own pid.
    old = _state["server"]
    if old is not None and _state["pid"] != os.getpid():
        try:
            old.close()
        except OSError:
            pass
    pid = os.getpid()
    path = os.path.join(directory, "%d.sock" % pid)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    _state["server"], _state["pid"] = server, pid
    thread = threading.Thread(target=_accept, args=(server,), name="leakspec-pyheap", daemon=True)
    thread.start()


def _accept(server):
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        try:
            conn.settimeout(120)
            reply = _handle(_read_line(conn))
        except Exception as exc:
            reply = {"error": "%s: %s" % (type(exc).__name__, exc)}
        try:
            conn.sendall(json.dumps(reply).encode() + b"\n")
        except OSError:
            pass
        finally:
            conn.close()


def _read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return json.loads(data or b"{}")


def _handle(req):
    # The probe's own allocations (a snapshot's statistics are many) would
    # trigger the automatic collector, which frees the very cyclic garbage
    # a report must see and that collect measures: it is held off while
    # the probe works.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _command(req)
    finally:
        if enabled:
            gc.enable()


def _command(req):
    cmd = req.get("cmd")
    if cmd == "start":
        frames = int(req.get("frames", 8))
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        tracemalloc.start(frames)
        return {"pid": os.getpid(), "tracing": True, "frames": frames}
    if cmd == "snapshot":
        return _snapshot(req["path"], int(req.get("top", 3000)))
    if cmd == "collect":
        return _collect()
    if cmd == "retainers":
        return _retainers(int(req.get("objects", 3)), int(req.get("min_bytes", 1 << 20)),
                          float(req.get("seconds", 10)), int(req.get("depth", 24)))
    if cmd == "report":
        # All three at once, with the collector held off throughout: the
        # worker's own next collection must not free, between the
        # snapshot and the retainers, the garbage they should both see.
        # Without tracing there are no sites and no retainers to find, but
        # what gc.collect() frees still tells a leak from garbage.
        retainers = {"pid": os.getpid(), "objects": []}
        snapshot = _snapshot(req["path"], int(req.get("top", 3000)))
        if tracemalloc.is_tracing():
            retainers = _retainers(int(req.get("objects", 3)), int(req.get("min_bytes", 1 << 20)),
                                   float(req.get("seconds", 10)), int(req.get("depth", 24)))
        return {"snapshot": snapshot, "retainers": retainers, "collect": _collect()}
    if cmd == "ping":
        return {"pid": os.getpid(), "tracing": tracemalloc.is_tracing()}
    raise ValueError("unknown command %r" % (cmd,))


def _rss():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _totals():
    traced = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
    return {"pid": os.getpid(), "rss": _rss(), "traced": traced,
            "gc_objects": len(gc.get_objects()), "gc_counts": list(gc.get_count())}


def _snapshot(path, top):
    out = _totals()
    out["tracing"] = tracemalloc.is_tracing()
    sites = []
    if tracemalloc.is_tracing():
        stats = _sites(tracemalloc.take_snapshot())
        sources = {}
        for n, (size, count, frames) in enumerate(stats[:top]):
            frames = [{"file": f, "line": line} for f, line in frames]
            if frames and n < 50:
                frames[0]["code"] = _source_line(sources, frames[0]["file"], frames[0]["line"])
            sites.append({"size": size, "count": count, "frames": frames})
        del sources
        out["sites_total"] = len(stats)
        del stats
    out["sites"] = sites
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.replace(tmp, path)
    return {k: v for k, v in out.items() if k != "sites"}


def _sites(snap):
    """The snapshot's traces grouped by traceback, largest first, as
    (size, count, frames innermost first), without the probe's own
    allocations nor tracemalloc's.

    What Snapshot.filter_traces and statistics("traceback") give, but
    they match the filters against every trace's every frame and build a
    Traceback per trace, in Python: with 100,000 traces that took seconds,
    and each of their allocations is traced too. A group shares one
    traceback, so it is filtered once; the sizes are summed by sum(),
    which allocates nothing per trace."""
    groups = {}
    for trace in snap.traces._traces:  # (domain, size, frames, ...)
        group = groups.get(trace[2])
        if group is None:
            group = groups[trace[2]] = []
        group.append(trace[1])
    stats = [(sum(sizes), len(sizes), frames) for frames, sizes in groups.items() if not _probes_own(frames)]
    del groups
    # statistics()'s order: size, count, then the traceback oldest first.
    stats.sort(key=lambda s: (s[0], s[1], s[2][::-1]), reverse=True)
    return stats


def _probes_own(frames):
    """Whether a trace, its frames innermost first, is tracemalloc's (its
    innermost frame) or the probe's (any frame): the filters the probe
    applied with Snapshot.filter_traces."""
    if not frames:
        return False
    if _source_file(frames[0][0]) == _TRACEMALLOC_FILE:
        return True
    return any(_source_file(f) == _OWN_FILE for f, _ in frames)


def _source_file(path):
    # tracemalloc's own normalization: a .pyc names its .py.
    return path[:-1] if path.endswith(".pyc") else path


_OWN_FILE = _source_file(_THIS_FILE)
_TRACEMALLOC_FILE = _source_file(tracemalloc.__file__)


def _frames(traceback):
    # tracemalloc lists the oldest frame first; a report reads innermost
    # first, the line that allocated.
    return [{"file": f.filename, "line": f.lineno} for f in reversed(traceback)]


def _source_line(sources, path, line):
    """The source line, read here rather than through linecache: linecache
    keeps every file it reads, which would show up as the worker's growth."""
    if path not in sources:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                sources[path] = f.read().splitlines()
        except OSError:
            sources[path] = []
    lines = sources[path]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _collect():
    before = _totals()
    garbage = _garbage_bytes()
    collected = gc.collect()
    after = _totals()
    return {"pid": os.getpid(), "collected": collected, "garbage_bytes": garbage,
            "objects_before": before["gc_objects"], "objects_after": after["gc_objects"],
            "rss_before": before["rss"], "rss_after": after["rss"],
            "traced_before": before["traced"], "traced_after": after["traced"]}


def _garbage_bytes():
    """The size of what the next gc.collect() frees, without tracing: RSS
    cannot tell it, since glibc keeps freed chunks of up to 32 MiB in the
    heap once one was freed. One collection with DEBUG_SAVEALL finds the
    unreachable objects without freeing them; their sizes, and those of the
    untracked objects (bytes, str) that only they refer to, add up to it.
    Releasing them leaves them to the collection that follows."""
    flags = gc.get_debug()
    saved = len(gc.garbage)
    gc.set_debug(flags | gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = gc.garbage[saved:]
        del gc.garbage[saved:]
    finally:
        gc.set_debug(flags)
    total = 0
    inside = set()
    for o in found:
        inside.add(id(o))
        try:
            total += sys.getsizeof(o)
        except Exception:
            pass
    # The untracked objects the garbage reaches (bytes, and dicts and
    # tuples of atomic values, which the collector untracks), with the
    # references among them: one whose every reference comes from the
    # garbage, or from such objects, is freed with it.
    index = {}  # id -> position in objs
    objs = []
    edges = []  # (from: -1 for the garbage, else a position; to: a position)
    queue = [(-1, o) for o in found]
    del found
    while queue:
        src, o = queue.pop()
        for r in gc.get_referents(o):
            if id(r) in inside or gc.is_tracked(r):
                continue
            at = index.get(id(r))
            if at is None:
                at = index[id(r)] = len(objs)
                objs.append(r)
                queue.append((at, r))
            edges.append((src, at))
        del o
    r = None
    counts = [0] * len(objs)
    out = [[] for _ in objs]
    for src, dst in edges:
        if src < 0:
            counts[dst] += 1
        else:
            out[src].append(dst)
    member = [False] * len(objs)
    changed = True
    while changed:
        changed = False
        for i in range(len(objs)):
            # Two references are this function's: objs's and getrefcount's
            # argument.
            if not member[i] and sys.getrefcount(objs[i]) - 2 <= counts[i]:
                member[i] = changed = True
                for dst in out[i]:
                    counts[dst] += 1
                try:
                    total += sys.getsizeof(objs[i])
                except Exception:
                    pass
    del objs[:]
    return total


# ---- retainers ---------------------------------------------------------

class _Budget(Exception):
    pass


def _retainers(k, min_bytes, seconds, depth):
    deadline = time.monotonic() + seconds
    if not tracemalloc.is_tracing():
        return {"pid": os.getpid(), "error": "tracing is off: send start first"}
    t0 = time.monotonic()
    # A running function's locals are not seen by the collector until its
    # frame object exists; asking for every thread's frames creates them,
    # so that a local holding the data is found and named.
    roots = _roots()
    objs = gc.get_objects()
    # The scan for the largest objects gets two thirds of the time at most,
    # so that the chains, which need far less, still get some.
    targets = _largest_traced(objs, k, min_bytes, t0 + seconds * 2 / 3, {id(objs)})
    scanned = len(objs)
    del objs
    t1 = time.monotonic()
    chains = _chains(targets, roots, deadline, depth)
    targets = [o for o, _ in targets]
    t2 = time.monotonic()
    out = []
    timed_out = time.monotonic() > deadline
    for obj, (chain, complete) in zip(targets, chains):
        tb = tracemalloc.get_object_traceback(obj)
        out.append({
            "type": type(obj).__name__, "size": sys.getsizeof(obj),
            "allocated": _frames(tb) if tb else [],
            "chain": chain, "complete": complete,
            "stopped": "" if complete else ("time" if timed_out else "depth or garbage"),
        })
    del targets
    return {"pid": os.getpid(), "objects": out, "scanned": scanned,
            "find_seconds": round(t1 - t0, 3), "chain_seconds": round(t2 - t1, 3),
            "timed_out": timed_out}


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
        following = []
        ignore.add(id(following))
        for r in referrers:
            rid = id(r)
            if rid in ignore:
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
        del referrers, by_id
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
