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
  {"cmd": "report", "before": P0, "sites": N, "min_growth": G, ...}
      snapshot, retainers, then collect; the retainers also explain one
      object of each of the N sites that grew the most (by G or more)
      since the snapshot at P0 in blocks smaller than B

The retainer search, the larger half, is leakspec_pyheap_retainers.

Every command is bounded (a deadline, object caps) and runs on the probe's
own daemon thread: the worker's threads go on while it runs, and a probe that
fails answers with {"error": ...} rather than raising into the worker.
"""

import gc
import json
import os
import socket
import sys
import sysconfig
import threading
import tracemalloc

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
        from leakspec_pyheap_retainers import retainers as _retainers
        return _retainers(int(req.get("objects", 3)), int(req.get("min_bytes", 1 << 20)),
                          float(req.get("seconds", 10)), int(req.get("depth", 24)))
    if cmd == "report":
        # All three at once, with the collector held off throughout: the
        # worker's own next collection must not free, between the
        # snapshot and the retainers, the garbage they should both see.
        # Without tracing there are no sites and no retainers to find, but
        # what gc.collect() frees still tells a leak from garbage.
        retainers = {"pid": os.getpid(), "objects": []}
        min_bytes = int(req.get("min_bytes", 1 << 20))
        snapshot, stats = _snapshot(req["path"], int(req.get("top", 3000)), keep=True)
        grown = _grown_sites(stats, req.get("before", ""), int(req.get("sites", 3)),
                             int(req.get("min_growth", 1 << 20)), min_bytes)
        del stats
        if tracemalloc.is_tracing():
            from leakspec_pyheap_retainers import retainers as _retainers
            retainers = _retainers(int(req.get("objects", 3)), min_bytes,
                                   float(req.get("seconds", 10)), int(req.get("depth", 24)), grown)
        del grown
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


def _snapshot(path, top, keep=False):
    """Writes the snapshot to path and returns its totals, and with keep
    its sites too, as _sites gives them (none without tracing)."""
    out = _totals()
    out["tracing"] = tracemalloc.is_tracing()
    sites, stats = [], []
    if tracemalloc.is_tracing():
        stats = _sites(tracemalloc.take_snapshot())
        sources, places = {}, {}
        for n, (size, count, frames, _) in enumerate(stats[:top]):
            frames = [_frame(places, f, line) for f, line in frames]
            if frames and n < 50:
                frames[0]["code"] = _source_line(sources, frames[0]["file"], frames[0]["line"])
                # Memory the standard library allocated (json.loads' objects)
                # was asked for by the first frame outside it: its line too.
                caller = next((f for f in frames if not f.get("stdlib")), None)
                if frames[0].get("stdlib") and caller is not None:
                    caller["code"] = _source_line(sources, caller["file"], caller["line"])
            sites.append({"size": size, "count": count, "frames": frames})
        del sources, places
        out["sites_total"] = len(stats)
    out["sites"] = sites
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.replace(tmp, path)
    totals = {k: v for k, v in out.items() if k != "sites"}
    return (totals, stats) if keep else totals


def _grown_sites(stats, before_path, k, min_growth, min_bytes):
    """The k sites of stats that grew the most since the snapshot at
    before_path, by min_growth or more, in blocks all smaller than
    min_bytes: as (frames, the sizes of their blocks, the sizes that hold
    most of their bytes). The retainer
    search's scan for the largest objects never reaches such blocks, yet
    many small ones (a buffer of decoded messages) are a leak as often as a
    few large ones. None when there is no earlier snapshot of this
    process (a pool child started since), as nothing tells what grew."""
    try:
        with open(before_path) as f:
            before = json.load(f)["sites"]
    except (OSError, ValueError, KeyError):
        return []
    sizes = {}
    for site in before:
        sizes[tuple((fr["file"], fr["line"]) for fr in site["frames"])] = site["size"]
    del before
    grown = []
    for size, _, frames, blocks in stats:
        growth = size - sizes.get(frames, 0)
        if growth >= min_growth and max(blocks) < min_bytes:
            grown.append((growth, frames, blocks))
    del sizes
    grown.sort(key=lambda g: g[0], reverse=True)
    return [(frames, frozenset(blocks), _bulk(blocks)) for _, frames, blocks in grown[:k]]


def _bulk(blocks):
    """The fewest sizes of blocks that hold at least half their bytes: an
    object of such a size is what the site's memory is mostly made of (a
    16 KB result rather than the int that keys it)."""
    by_size = {}
    for b in blocks:
        by_size[b] = by_size.get(b, 0) + b
    total, held, bulk = sum(by_size.values()), 0, set()
    for size, held_by in sorted(by_size.items(), key=lambda s: s[1], reverse=True):
        bulk.add(size)
        held += held_by
        if 2 * held >= total:
            break
    return frozenset(bulk)


def _frame(places, path, line):
    """A frame as the report reads it: its file and line, whether the file
    is Python's standard library, and otherwise its path from the sys.path
    entry it was imported from ("kombu/utils/json.py"), which a base name
    alone would confuse with the library's json. places caches both by
    file."""
    place = places.get(path)
    if place is None:
        place = places[path] = _place(path)
    frame = {"file": path, "line": line}
    stdlib, rel = place
    if stdlib:
        frame["stdlib"] = True
    elif rel:
        frame["rel"] = rel
    return frame


def _place(path):
    if path.startswith(_STDLIB) and "-packages" + os.sep not in path:
        return True, ""
    best = ""
    for entry in sys.path:
        entry = os.path.join(os.path.abspath(entry or os.curdir), "")
        if path.startswith(entry) and len(entry) > len(best):
            best = entry
    return False, path[len(best):] if best else ""


_STDLIB = tuple({os.path.join(sysconfig.get_paths()[name], "") for name in ("stdlib", "platstdlib")})


def _sites(snap):
    """The snapshot's traces grouped by traceback, largest first, as
    (size, count, frames innermost first, the sizes of its blocks),
    without the probe's own allocations nor tracemalloc's.

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
    stats = [(sum(sizes), len(sizes), frames, sizes)
             for frames, sizes in groups.items() if not _probes_own(frames)]
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
    return any(_source_file(f) in _OWN_FILES for f, _ in frames)


def _source_file(path):
    # tracemalloc's own normalization: a .pyc names its .py.
    return path[:-1] if path.endswith(".pyc") else path


_OWN_FILES = frozenset(_source_file(os.path.join(os.path.dirname(_THIS_FILE), name))
                        for name in ("leakspec_pyheap.py", "leakspec_pyheap_retainers.py"))
_TRACEMALLOC_FILE = _source_file(tracemalloc.__file__)


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
    # What the worker's own automatic collections freed since it started,
    # read before this probe's collections add to it: garbage in cycles that
    # came and went during the run leaves only the memory the allocator
    # kept, which the collection below cannot show.
    stats = gc.get_stats()
    auto = sum(g["collected"] for g in stats)
    full = stats[-1]["collections"]
    before = _totals()
    garbage = _garbage_bytes()
    collected = gc.collect()
    after = _totals()
    return {"pid": os.getpid(), "collected": collected, "garbage_bytes": garbage,
            "auto_collected": auto, "auto_full_collections": full,
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
