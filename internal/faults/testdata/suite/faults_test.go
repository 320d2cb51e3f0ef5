package faults_test

import (
	"os"
	"path/filepath"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	"github.com/leakspec/leakspec/internal/redisenv"
	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker"
	"github.com/leakspec/leakspec/worker/rq"
)

// jobs are the RQ jobs of this suite.
const jobs = `import time

_kept = []


def _allocate(mb):
    return b"\xa5" * (mb * 1024 * 1024)


def work(mb, seconds):
    """Hold mb MiB for a while, then let it go."""
    data = _allocate(mb)
    time.sleep(seconds)
    return len(data)


def keep(mb, seconds):
    """Keep mb MiB for good: a leak."""
    _kept.append(_allocate(mb))
    time.sleep(seconds)
    return mb


def sleep(seconds):
    time.sleep(seconds)
`

// stubborn ignores SIGTERM, and so does the child it forks, which inherits
// the disposition: only SIGKILL ends them, which Stop sends at once, since
// no handler of theirs can run.
const stubborn = `import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    time.sleep(600)
    os._exit(0)
held = b"\xa5" * (8 * 1024 * 1024)
print("ready", flush=True)
time.sleep(600)
`

// burst keeps 4 MiB every 100 ms for 3 s and exits with status 0, as a
// burst worker ends once its queue is empty.
const burst = `import time
kept = []
print("ready", flush=True)
for _ in range(30):
    kept.append(b"\xa5" * (4 * 1024 * 1024))
    time.sleep(0.1)
`

// creep keeps 256 KiB every 100 ms, about 150 MB/min: some 12 MB over the
// few seconds a spec judges, too little to fail a 32 MB budget, steadily
// enough to be still rising.
const creep = `import time
kept = []
print("ready", flush=True)
while True:
    kept.append(b"\xa5" * (256 * 1024))
    time.sleep(0.1)
`

// crashLoop is a supervisor whose worker dies as it starts, every time, and
// which restarts it for ever: it never says it is ready.
const crashLoop = `import os, sys, time
print("supervisor: starting the worker", flush=True)
n = 0
while True:
    pid = os.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import faults_settings"])
    _, status = os.waitpid(pid, 0)
    n += 1
    print("supervisor: worker %d exited with status %d; restarting it" % (n, os.waitstatus_to_exitcode(status)), flush=True)
    time.sleep(0.2)
`

// startRQ starts an RQ SimpleWorker on the queue "faults" with this suite's
// jobs, and returns it with its queue. $LEAKSPEC_FAULT_IMPORT names a
// further job module for it to import, to misspell one.
func startRQ(ctx SpecContext) (*worker.Process, *rq.Queue) {
	dir := filepath.Join(env.Apps, "faults")
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, "faults_jobs.py"), []byte(jobs), 0o644)).To(Succeed())
	imports := []string{"faults_jobs"}
	if extra := os.Getenv("LEAKSPEC_FAULT_IMPORT"); extra != "" {
		imports = append(imports, extra)
	}
	w := fixtures.Start(ctx, env, rq.WorkerOptions{Queues: []string{"faults"}, Dir: dir, Imports: imports})
	return w.Process, rq.NewQueue(env.RDB, "faults").WatchWorkers(env.Workers)
}

// must fails the spec with err's own sentence, which the tests compare
// word for word.
func must(err error) {
	GinkgoHelper()
	if err != nil {
		Fail(err.Error())
	}
}

// enqueue puts n jobs of fn on q at once.
func enqueue(ctx SpecContext, q *rq.Queue, n int, fn string, args ...any) {
	batch := make([]rq.Job, n)
	for i := range batch {
		batch[i] = rq.Job{Func: "faults_jobs." + fn, Args: args}
	}
	_, err := q.EnqueueMany(ctx, batch)
	must(err)
}

// paced puts n jobs of fn on q, one every gap, so that the recording spreads
// over n*gap; it stops early when the worker has exited, for the wait that
// follows to say how.
func paced(ctx SpecContext, proc *worker.Process, q *rq.Queue, n int, gap time.Duration, fn string, args ...any) {
	for range n {
		_, err := q.Enqueue(ctx, rq.Job{Func: "faults_jobs." + fn, Args: args})
		must(err)
		select {
		case <-proc.Done():
			return
		case <-time.After(gap):
		}
	}
}

// long is a minute of work that a fault is meant to cut short: it announces
// the worker as name once the jobs are queued.
func long(ctx SpecContext, name string) {
	proc, queue := startRQ(ctx)
	run := env.Record(proc)
	enqueue(ctx, queue, 600, "work", 1, 0.1)
	announce(name, proc.Pid())
	_, err := queue.WaitFinished(ctx, 600, 0)
	must(err)
	env.Judge(run.Finish(), PlateauWithin(32*MB))
}

var _ = Describe("a worker", func() {
	// Each of these fails on its own fault, in one run of the suite.
	Context("meeting a fault within its spec", Label("in-spec"), func() {
		It("crashes as it starts", func(ctx SpecContext) {
			// RQ cannot reach this Redis: nothing listens on port 1.
			fixtures.Start(ctx, env, rq.WorkerOptions{Queues: []string{"faults"}, RedisURL: "redis://127.0.0.1:1/0"})
		})

		It("crash-loops under a supervisor that never gets it ready", func(ctx SpecContext) {
			proc, err := worker.Start(ctx, worker.Command{
				Argv:         []string{env.Config.Python.Interpreter, "-c", crashLoop},
				LogPath:      env.SpecPath("log"),
				Ready:        regexp.MustCompile(`^ready$`),
				ReadyTimeout: 3 * time.Second,
			})
			if proc != nil {
				DeferCleanup(proc.Stop)
			}
			must(err)
		})

		It("ignores SIGTERM", func(ctx SpecContext) {
			proc, err := worker.Start(ctx, worker.Command{
				Argv:    []string{env.Config.Python.Interpreter, "-c", stubborn},
				LogPath: env.SpecPath("log"),
				Ready:   regexp.MustCompile(`^ready$`),
			})
			must(err)
			DeferCleanup(proc.Stop)
			run := env.Record(proc)
			time.Sleep(4 * time.Second)
			rec := run.Finish()
			env.Judge(rec, PlateauWithin(32*MB))
			env.Judge(rec, StayBelow(256*MB))
		})

		It("exits on its own while it leaks", func(ctx SpecContext) {
			proc := env.Start(ctx, worker.Command{
				Argv:  []string{env.Config.Python.Interpreter, "-c", burst},
				Ready: regexp.MustCompile(`^ready$`),
			})
			run := env.Record(proc)
			Eventually(proc.Done()).WithTimeout(30 * time.Second).Should(BeClosed())
			// Time after the exit, which the recording must not read as
			// the worker freeing what it held.
			time.Sleep(2 * time.Second)
			env.Judge(run.Finish(), PlateauWithin(32*MB))
		})

		It("passes a slow leak under too short a load, and says so", func(ctx SpecContext) {
			proc := env.Start(ctx, worker.Command{
				Argv:  []string{env.Config.Python.Interpreter, "-c", creep},
				Ready: regexp.MustCompile(`^ready$`),
			})
			run := env.Record(proc)
			time.Sleep(4 * time.Second)
			env.Judge(run.Finish(), PlateauWithin(32*MB))
		})

		It("logs each process it starts to a file of its own", func(ctx SpecContext) {
			say := func(line string) worker.Command {
				return worker.Command{
					Argv:  []string{env.Config.Python.Interpreter, "-c", "import time; print(" + `"` + line + `"` + ", flush=True); time.sleep(60)"},
					Ready: regexp.MustCompile("^" + line + "$"),
				}
			}
			first := env.Start(ctx, say("the worker ready"))
			second := env.Start(ctx, say("its client ready"))
			Expect(first.LogPath()).To(Equal(env.SpecPath("log")))
			Expect(second.LogPath()).To(Equal(env.SpecPath("2.log")))
			for p, line := range map[*worker.Process]string{first: "the worker ready", second: "its client ready"} {
				Expect(os.ReadFile(p.LogPath())).To(ContainSubstring(line))
			}
		})

		It("leaks through the memory ceiling", func(ctx SpecContext) {
			proc, queue := startRQ(ctx)
			run := env.Record(proc)
			enqueue(ctx, queue, 60, "keep", 16, 0.1)
			_, err := queue.WaitFinished(ctx, 60, 0)
			must(err)
			env.Judge(run.Finish(), PlateauWithin(32*MB))
		})

		It("outlasts its spec's timeout", SpecTimeout(4*time.Second), func(ctx SpecContext) {
			proc, queue := startRQ(ctx)
			run := env.Record(proc)
			enqueue(ctx, queue, 1, "sleep", 60)
			_, err := queue.WaitFinished(ctx, 1, 0)
			must(err)
			env.Judge(run.Finish(), PlateauWithin(32*MB))
		})
	})

	It("is SIGKILLed mid-run", Label("sigkill"), func(ctx SpecContext) { long(ctx, "sigkill") })

	It("loses its Redis mid-run", Label("redis-stop"), func(ctx SpecContext) { long(ctx, "redis-stop") })

	It("is interrupted mid-run", Label("interrupt"), func(ctx SpecContext) { long(ctx, "interrupt") })

	// Two short specs with known verdicts, for runs that must get to the end.
	Context("running briefly", Label("quick"), func() {
		It("plateaus while every job drops its memory", func(ctx SpecContext) {
			proc, queue := startRQ(ctx)
			run := env.Record(proc)
			AddReportEntry("redis", redisenv.MaskURL(env.RedisURL))
			announce("quick", proc.Pid())
			paced(ctx, proc, queue, 40, 150*time.Millisecond, "work", 8, 0.0)
			_, err := queue.WaitFinished(ctx, 40, 0)
			must(err)
			env.Judge(run.Finish(), PlateauWithin(32*MB))
		})

		It("is caught keeping 8 MiB per job", func(ctx SpecContext) {
			proc, queue := startRQ(ctx)
			run := env.Record(proc)
			AddReportEntry("redis", redisenv.MaskURL(env.RedisURL))
			paced(ctx, proc, queue, 40, 150*time.Millisecond, "keep", 8, 0.0)
			_, err := queue.WaitFinished(ctx, 40, 0)
			must(err)
			env.JudgeLeak(run.Finish(), PlateauWithin(32*MB))
		})
	})
})
