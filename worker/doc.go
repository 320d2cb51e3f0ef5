// Package worker runs the worker under test and records its memory.
//
// A worker here is any command: a Dramatiq, RQ or Celery worker, a Go
// program, a shell script. It is given as an argv list, never as a shell
// string, so that no quoting can change what runs:
//
//	p, err := worker.Start(ctx, worker.Command{
//		Argv:    []string{"/usr/bin/python3", "-m", "rq.cli", "worker", "default"},
//		Env:     []string{"REDIS_URL=redis://127.0.0.1:6379/0"},
//		LogPath: filepath.Join(reportDir, "worker.log"),
//		Ready:   regexp.MustCompile(`Listening on default`),
//	})
//	if p != nil {
//		defer p.Stop()
//	}
//	if err != nil {
//		return err // it names the program and shows its last log lines
//	}
//
// # Process group
//
// Start makes the worker the leader of a new process group whose id is the
// leader's pid (Process.Pid). Queue workers fork: Dramatiq and Celery keep a
// pool of children, RQ forks a work horse per job. Signalling the group
// reaches all of them at once, including children the leader has not told
// anyone about. Only groups that Start created are ever signalled, and never
// after their leader has been reaped, so a recycled pid is never hit.
//
// When the leader exits, for whatever reason, the rest of its group is
// killed with it: a worker is its whole tree, and nothing it started may
// outlive it. A descendant that calls setsid or setpgid leaves the group;
// Stop still finds it while a parent link leads to it (RQ's work horse).
//
// # Cgroup
//
// Where the machine allows it (cgroup v2 mounted and writable, a kernel
// with clone3), Start makes a cgroup of the worker's own under the caller's
// and starts the leader in it, so that every process the worker starts is
// in it, whatever its group, session or parent. Then Stop and Kill end it
// whole with cgroup.kill, even an orphan that left the group, Stop removes
// it, and a Sampler lists the tree from its cgroup.procs and, where the
// memory controller is enabled, reads memory.current and memory.stat.
// Elsewhere the process group is all there is, and a descendant that left
// it with no parent link to the worker is out of reach: Stop reports it
// when it still holds the worker's output open. Process.Containment and
// the Recording's Source say which applies, and why; nothing needs
// setting.
//
// # Log file and tail
//
// Standard output and standard error go, combined and in order, to the log
// file at Command.LogPath, which Start creates (with its directories) for
// every run. The last Command.TailLines lines are also kept in memory:
// Process.Tail returns them, and every error about a worker that failed to
// start quotes them, because the reason is almost always in there (a
// traceback, a missing module, a refused connection). Lines of any length
// reach the file whole; the tail keeps the first 4 KiB of each.
//
// # Readiness
//
// Start returns once the worker is ready: when the first log line matches
// Command.Ready, or at once when Ready is nil. A worker that exits first
// fails Start immediately, with its exit status; one that stays silent
// fails it after Command.ReadyTimeout; a cancelled context fails it too. In
// every case the group is already killed and reaped when Start returns, and
// the returned Process still answers Tail, Err and LogPath.
//
// # Stop
//
// By default (StopGraceful), Process.Stop sends SIGTERM to the group, so
// a program can flush what it buffered, waits up to Command.StopGrace
// (300 ms by default) for the leader to exit, and then sends SIGKILL to
// the group; when every process the SIGTERM reaches ignores it, no handler
// can run and Stop sends SIGKILL at once. A spec's
// recording is complete before Stop, so the adapters of this module ask
// for quicker ends: StopKill (SIGKILL at once) for workers whose lines
// reach the pipe as they are written, StopChildrenFirst for a leader that
// relays its children's lines (Dramatiq's). Every mode ends with SIGKILL,
// so no descendant that ignored SIGTERM or outlived the leader survives,
// and Stop returns only when the group is gone and the last line of output
// is in the log file. Process.Kill sends
// SIGKILL at once and remembers why; the memory ceiling uses it, and
// Process.Err reports the reason.
//
// # Memory
//
// The sampler in this package walks the worker's process tree in /proc
// while it runs and records the memory of the whole tree into a
// recording.Recording, which the matchers judge and the reports draw.
package worker
