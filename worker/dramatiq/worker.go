package dramatiq

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakspec/leakspec/worker"
)

// DefaultPython is the interpreter StartWorker runs when none is given.
// Debian packages no Dramatiq: this Python needs it on its PYTHONPATH, for
// instance a checkout of Dramatiq's source, and Debian's python3-redis.
const DefaultPython = "/usr/bin/python3"

// The names of the events StartWorker turns the worker's log lines into.
const (
	// EventRetry: the Retries middleware re-enqueued a failed message.
	// The detail names the message and the backoff.
	EventRetry = "retry"
	// EventDead: a message failed its last allowed attempt and was
	// dead-lettered.
	EventDead = "dead"
)

// The log lines of Dramatiq 2 that StartWorker reads.
var (
	// readyLine is logged by each worker process once its threads run.
	readyLine = regexp.MustCompile(`Worker process is ready for action\.`)
	// retryLine and deadLine are the Retries middleware's.
	retryLine = regexp.MustCompile(`Retrying message '([^']*)' in (\d+) milliseconds\.`)
	deadLine  = regexp.MustCompile(`Retries exceeded for message '([^']*)'\.`)
)

// DefaultWorkerTimeout is the WorkerTimeout when none is given.
const DefaultWorkerTimeout = 100 * time.Millisecond

// stopGrace bounds how long the main process has, once its worker
// processes are killed, to copy their last log lines and exit.
const stopGrace = 2 * time.Second

// readyTimeout bounds the wait for every worker process to be ready.
// Importing Dramatiq and an app takes about a second.
const readyTimeout = 60 * time.Second

// WorkerOptions says how to run a Dramatiq worker.
type WorkerOptions struct {
	// Python is the interpreter that runs Dramatiq; DefaultPython when
	// empty.
	Python string
	// Dir is the directory of the app modules. It goes first on the
	// worker's PYTHONPATH, ahead of the caller's own PYTHONPATH, which
	// may be what brings Dramatiq itself.
	Dir string
	// PythonEnv adds directories to PYTHONPATH and variables to the
	// worker's environment.
	worker.PythonEnv
	// Module is the app module the worker imports, which declares the
	// broker and the actors.
	Module string
	// RedisURL is the worker's Redis, passed to the app as REDIS_URL.
	RedisURL string
	// Processes and Threads are the worker's --processes and --threads;
	// 1 each when zero, like the origin investigation.
	Processes, Threads int
	// Queues restricts the worker to these queues (--queues); every
	// queue the app's actors declare when empty.
	Queues []string
	// WorkerTimeout is how long the worker's consumers wait on an idle
	// queue before they look again, Dramatiq 2's dramatiq_worker_timeout;
	// DefaultWorkerTimeout when zero. Dramatiq's own 1 s is also how late
	// a retry can be taken from the delay queue, so a retry loop turns
	// about twice as slowly under it, and a spec needs twice as long to
	// see as many retries. Dramatiq 1 reads no such variable.
	WorkerTimeout time.Duration
	// LogPath is the file that receives the worker's output.
	LogPath string
	// OnEvent, when set, receives an EventRetry for every retry the
	// worker logs and an EventDead for every message it dead-letters, as
	// they happen. It runs on the goroutine that copies the worker's
	// output and must return quickly.
	OnEvent func(name, detail string)
	// Extra are further arguments for `python -m dramatiq`, placed after
	// the module, such as "--worker-shutdown-timeout", "1000".
	Extra []string
}

// WorkerCommand returns the command that runs the worker opts describe:
// `python -m dramatiq MODULE --processes P --threads T`. It reads the
// caller's PYTHONPATH, to extend it, and nothing else.
func WorkerCommand(opts WorkerOptions) worker.Command {
	python := opts.Python
	if python == "" {
		python = DefaultPython
	}
	argv := []string{python, "-m", "dramatiq", opts.Module,
		"--processes", strconv.Itoa(max(opts.Processes, 1)),
		"--threads", strconv.Itoa(max(opts.Threads, 1)),
	}
	if len(opts.Queues) > 0 {
		argv = append(argv, "--queues")
		argv = append(argv, opts.Queues...)
	}
	argv = append(argv, opts.Extra...)
	timeout := opts.WorkerTimeout
	if timeout <= 0 {
		timeout = DefaultWorkerTimeout
	}
	// The caller's variables follow the timeout, so that theirs wins;
	// REDIS_URL is the suite's Redis whatever they set.
	pyEnv := worker.PythonEnv{PythonPath: opts.PythonPath, Env: append(
		[]string{"dramatiq_worker_timeout=" + strconv.FormatInt(timeout.Milliseconds(), 10)}, opts.Env...)}
	cmd := worker.Command{
		Argv:         argv,
		Env:          append(pyEnv.Environ(opts.Dir), "REDIS_URL="+opts.RedisURL),
		LogPath:      opts.LogPath,
		Ready:        readyLine,
		ReadyTimeout: readyTimeout,
		// A worker process's graceful stop took 2-3.6 s at Dramatiq's
		// defaults: its main loop sleeps 1 s between looks at its flag,
		// and its worker and consumer threads each wait up to
		// worker_timeout (1 s there) before they see theirs. Its log
		// lines go through a pipe to the main process, which writes
		// them: killing the worker processes ends those pipes, and the
		// main process, told by SIGTERM that the stop is wanted, copies
		// what is left in them and exits.
		Stop:      worker.StopChildrenFirst,
		StopGrace: stopGrace,
	}
	if opts.OnEvent != nil {
		cmd.OnLine = func(line string) { emitEvents(line, opts.OnEvent) }
	}
	return cmd
}

// emitEvents turns one log line into the events it reports, if any.
func emitEvents(line string, emit func(name, detail string)) {
	if m := retryLine.FindStringSubmatch(line); m != nil {
		emit(EventRetry, fmt.Sprintf("message %s, next attempt in %s ms", m[1], m[2]))
	} else if m := deadLine.FindStringSubmatch(line); m != nil {
		emit(EventDead, fmt.Sprintf("message %s ran out of retries", m[1]))
	}
}

// Worker is a running Dramatiq worker.
type Worker struct {
	*worker.Process
	// Installation is the Dramatiq the worker runs.
	Installation Installation
	// recorder receives the worker's events once RecordTo has been
	// called; events before that are dropped.
	recorder atomic.Pointer[worker.Recorder]
}

// Installed returns the Dramatiq the worker runs.
func (w *Worker) Installed() worker.Installation { return w.Installation }

// RecordTo sends an event to r for every retry (EventRetry) and dead letter
// (EventDead) the worker logs from now on.
func (w *Worker) RecordTo(r *worker.Recorder) { w.recorder.Store(r) }

// Start fills the options left empty from d (the interpreter, the
// "dramatiq" scenario apps, Redis, the log file, the environment) and
// starts the worker (see StartWorker).
func (opts WorkerOptions) Start(ctx context.Context, d worker.Defaults) (*Worker, error) {
	d.FillPython("dramatiq", &opts.Python, &opts.Dir, &opts.RedisURL, &opts.LogPath, &opts.PythonEnv)
	return StartWorker(ctx, opts)
}

// StartWorker checks that the interpreter can import Dramatiq, its Redis
// broker and the app module, then starts the worker and returns once every
// worker process is ready for action. A missing interpreter, Dramatiq or
// module is one sentence saying what to fix. Like worker.Start, it returns
// the Process along with the error when the worker started but did not
// become ready.
func StartWorker(ctx context.Context, opts WorkerOptions) (*Worker, error) {
	w := &Worker{}
	own := opts.OnEvent
	opts.OnEvent = func(name, detail string) {
		if own != nil {
			own(name, detail)
		}
		if r := w.recorder.Load(); r != nil {
			r.Event(name, detail)
		}
	}
	p, err := startWorker(ctx, opts, &w.Installation)
	if p == nil {
		return nil, err
	}
	w.Process = p
	return w, err
}

// startWorker is StartWorker's work, on the bare process; it sets *inst to
// the Dramatiq the interpreter imports.
func startWorker(ctx context.Context, opts WorkerOptions, inst *Installation) (*worker.Process, error) {
	if opts.RedisURL == "" {
		return nil, errors.New("start dramatiq worker: RedisURL is empty; the worker needs the URL of its Redis")
	}
	if opts.Module == "" {
		return nil, errors.New("start dramatiq worker: Module is empty; name the app module that declares the broker and the actors")
	}
	cmd := WorkerCommand(opts)
	var err error
	if *inst, err = checkImports(ctx, cmd.Argv[0], opts.Dir, cmd.Env, opts.Module); err != nil {
		return nil, fmt.Errorf("start dramatiq worker: %w", err)
	}

	// Each worker process logs its own ready line; worker.Start returns at
	// the first, and the rest are counted here.
	processes := max(opts.Processes, 1)
	allReady := make(chan struct{})
	var mu sync.Mutex
	seen := 0
	onLine := cmd.OnLine
	cmd.OnLine = func(line string) {
		if onLine != nil {
			onLine(line)
		}
		if readyLine.MatchString(line) {
			mu.Lock()
			defer mu.Unlock()
			if seen++; seen == processes {
				close(allReady)
			}
		}
	}
	start := time.Now()
	p, err := worker.Start(ctx, cmd)
	if err != nil {
		return p, fmt.Errorf("start dramatiq worker: %w", err)
	}
	timeout := time.NewTimer(max(readyTimeout-time.Since(start), 0))
	defer timeout.Stop()
	select {
	case <-allReady:
		return p, nil
	case <-p.Done():
		return p, fmt.Errorf("start dramatiq worker: %w before all %d worker processes were ready", p.Err(), processes)
	case <-timeout.C:
		p.Kill(fmt.Sprintf("not all %d worker processes were ready after %v", processes, readyTimeout))
	case <-ctx.Done():
		p.Kill("its start was cancelled")
	}
	_ = p.Stop()
	return p, fmt.Errorf("start dramatiq worker: %w", p.Err())
}
