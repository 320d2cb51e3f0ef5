package celery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/leakspec/leakspec/internal/pyproc"
	"github.com/leakspec/leakspec/worker"
)

// DefaultPython is the interpreter StartWorker runs when none is given:
// Debian's, which has python3-celery. The python3 first on PATH may be
// another one without Celery.
const DefaultPython = "/usr/bin/python3"

// Pool is a Celery execution pool (-P).
type Pool string

const (
	// Solo runs tasks in the worker's main process, one at a time: a
	// per-task leak accumulates in that one process.
	Solo Pool = "solo"
	// Prefork forks Concurrency children that run the tasks; the main
	// process only consumes messages and hands them out.
	Prefork Pool = "prefork"
)

// readyLine matches what Celery 5.2's worker logs once its pool and its
// consumer run: "celery@<hostname> ready.".
var readyLine = regexp.MustCompile(`@\S+ ready\.$`)

// WorkerOptions says how to run a Celery worker.
type WorkerOptions struct {
	// Python is the interpreter that runs Celery; DefaultPython when empty.
	Python string
	// Dir is the directory of the app module. It goes first on the
	// worker's PYTHONPATH, ahead of the caller's own PYTHONPATH.
	Dir string
	// PythonEnv adds directories to PYTHONPATH and variables to the
	// worker's environment.
	worker.PythonEnv
	// App is the Celery application, as -A takes it: a module ("tasks"),
	// or a module and an attribute ("tasks:app"). Required.
	App string
	// RedisURL is the broker. The worker gets it as CELERY_BROKER_URL,
	// which Celery prefers to any broker_url the app configures, so the
	// worker never talks to another server. Required by StartWorker;
	// fixtures.Start fills it with the suite's Redis. An app that uses a
	// result backend names it: the same Redis, as
	// backend=os.environ["CELERY_BROKER_URL"], or CELERY_RESULT_BACKEND in
	// the PythonEnv's Env.
	RedisURL string
	// Pool is Solo when empty. Concurrency is the number of children of a
	// Prefork pool, required with it; Solo ignores it.
	Pool        Pool
	Concurrency int
	// Queues are the queues the worker consumes; DefaultQueue when empty.
	Queues []string
	// LogPath is the file that receives the worker's output.
	LogPath string
	// MaxTasksPerChild and MaxMemoryPerChild (bytes, rounded up to KiB)
	// make the prefork pool replace a child after that many tasks or once
	// it holds that much memory. A replaced child takes whatever it leaked
	// with it, so both HIDE leaks: zero leaves them off, as leak specs
	// should, and setting either earns a warning (see Warnings).
	MaxTasksPerChild  int
	MaxMemoryPerChild uint64
	// Extra are further arguments for `celery worker`, placed last.
	Extra []string
}

// WorkerCommand returns the command that runs the worker opts describe. It
// reads the caller's PYTHONPATH, to extend it, and nothing else.
//
// Mingle, gossip and event heartbeats are off: they only talk to other
// workers, which a leak spec has none of. The log level is INFO, since the
// lines Monitor reads are logged at INFO.
func WorkerCommand(opts WorkerOptions) worker.Command {
	python := opts.Python
	if python == "" {
		python = DefaultPython
	}
	pool := opts.Pool
	if pool == "" {
		pool = Solo
	}
	queues := opts.Queues
	if len(queues) == 0 {
		queues = []string{DefaultQueue}
	}
	argv := []string{python, "-m", "celery", "-A", opts.App, "worker",
		"--pool", string(pool),
	}
	if pool != Solo {
		argv = append(argv, "--concurrency", strconv.Itoa(opts.Concurrency))
	}
	argv = append(argv,
		"--loglevel", "INFO",
		"--queues", strings.Join(queues, ","),
		"--without-mingle", "--without-gossip", "--without-heartbeat",
	)
	if opts.MaxTasksPerChild > 0 {
		argv = append(argv, "--max-tasks-per-child", strconv.Itoa(opts.MaxTasksPerChild))
	}
	if opts.MaxMemoryPerChild > 0 {
		argv = append(argv, "--max-memory-per-child", strconv.FormatUint((opts.MaxMemoryPerChild+1023)/1024, 10))
	}
	argv = append(argv, opts.Extra...)

	return worker.Command{
		Argv:    argv,
		Env:     append(opts.Environ(opts.Dir), "CELERY_BROKER_URL="+opts.RedisURL),
		LogPath: opts.LogPath,
		Ready:   readyLine,
		// A warm shutdown of a prefork pool takes about 1.5 s to end its
		// children, and has no bearing on a recording that is over. Each
		// pool child writes its own log lines, unbuffered, so SIGKILL
		// loses none of them.
		Stop: worker.StopKill,
	}
}

// recyclers are the worker options that replace pool children, and what
// each does, for Warnings.
var recyclers = map[string]string{
	"--max-tasks-per-child":  "replaces each pool child after that many tasks",
	"--max-memory-per-child": "replaces each pool child once it holds that many KiB",
}

// Warnings returns a sentence for each option in opts that hides leaks
// (--max-tasks-per-child, --max-memory-per-child, also when given in
// Extra): a spec that sets one may pass with a leak in its tasks.
func Warnings(opts WorkerOptions) []string {
	var warnings []string
	argv := WorkerCommand(opts).Argv
	for i, arg := range argv {
		name, value, hasValue := strings.Cut(arg, "=")
		does, ok := recyclers[name]
		if !ok {
			continue
		}
		if !hasValue && i+1 < len(argv) {
			value = argv[i+1]
		}
		warnings = append(warnings, fmt.Sprintf(
			"The worker runs with %s %s, which %s and frees whatever the child leaked: a leak can pass unseen. Leak specs should leave it off.",
			name, value, does))
	}
	return warnings
}

// Worker is a running Celery worker.
type Worker struct {
	*worker.Process
	// Tasks follows the worker's task outcomes in its log.
	Tasks *Monitor
	// Installation is the Celery the worker runs; zero when the check
	// before the start could not tell.
	Installation worker.Installation
}

// Installed returns the Celery the worker runs.
func (w *Worker) Installed() worker.Installation { return w.Installation }

// StartWorker starts the worker opts describe and returns once Celery says
// it is ready. A worker that cannot start (no interpreter, no Celery, an
// app module that does not import) fails with Celery's reason and its last
// log lines. Like worker.Start, it returns the Worker along with the error
// when the worker started but did not become ready.
func StartWorker(ctx context.Context, opts WorkerOptions) (*Worker, error) {
	switch {
	case opts.App == "":
		return nil, errors.New("start celery worker: App is empty; name the module of the Celery app, as -A takes it")
	case opts.RedisURL == "":
		return nil, errors.New("start celery worker: RedisURL is empty; the worker needs the URL of its broker")
	case opts.Pool != "" && opts.Pool != Solo && opts.Pool != Prefork:
		return nil, fmt.Errorf("start celery worker: pool %q is not supported; use Solo or Prefork", opts.Pool)
	case opts.Pool == Prefork && opts.Concurrency <= 0:
		return nil, errors.New("start celery worker: a Prefork pool needs a Concurrency above zero; Celery's default, the number of CPUs, would differ between machines")
	}
	cmd := WorkerCommand(opts)
	inst, err := checkCelery(ctx, cmd.Argv[0], cmd.Env)
	if err != nil {
		return nil, err
	}
	monitor := NewMonitor(Warnings(opts)...)
	cmd.OnLine = monitor.Line
	p, err := worker.Start(ctx, cmd)
	if err != nil {
		err = fmt.Errorf("start celery worker: %w", err)
	}
	if p == nil {
		return nil, err
	}
	go func() {
		<-p.Done()
		if !p.Stopped() {
			monitor.WorkerEnded(p.Exit())
		}
	}()
	return &Worker{Process: p, Tasks: monitor, Installation: inst}, err
}

// Warnings returns the worker's warnings: the options it runs with that
// hide leaks (see the function Warnings).
func (w *Worker) Warnings() []string { return w.Tasks.Warnings() }

// RecordTo sends the worker's task outcomes (retries, successes, failures)
// and its warnings to r as events (see Monitor.RecordTo).
func (w *Worker) RecordTo(r *worker.Recorder) { w.Tasks.RecordTo(r) }

// Start fills the options left empty from d (the interpreter, the "celery"
// scenario apps, Redis as the broker, the log file, the environment) and
// starts the worker (see StartWorker).
func (opts WorkerOptions) Start(ctx context.Context, d worker.Defaults) (*Worker, error) {
	d.FillPython("celery", &opts.Python, &opts.Dir, &opts.RedisURL, &opts.LogPath, &opts.PythonEnv)
	return StartWorker(ctx, opts)
}

// checkCelery returns the Celery python imports, or says in one sentence
// that python cannot run Celery, before a worker is started that would
// fail with a traceback in its log. A missing Celery matches
// worker.ErrNotInstalled.
func checkCelery(ctx context.Context, python string, env []string) (worker.Installation, error) {
	lines, err := pyproc.Import(ctx, python, env, []string{"celery", "redis"}, pyproc.InstallationEpilogue("celery", "kombu", "billiard", "redis"))
	var importErr *pyproc.ImportError
	switch {
	case errors.As(err, &importErr):
		return worker.Installation{}, &worker.NotInstalledError{System: "celery", Packages: []string{"python3-celery", "python3-redis"},
			Reason: fmt.Sprintf("start celery worker: %s cannot import %s (%s); install Celery and redis-py for it or set the interpreter to one that has them", python, importErr.Module, importErr.Reason)}
	}
	// Any other failure, a missing interpreter included, shows again in
	// the worker's own words when it starts.
	if inst, ok := worker.PythonInstallation("celery", lines); err == nil && ok {
		return inst, nil
	}
	return worker.Installation{}, nil
}
