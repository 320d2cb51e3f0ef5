package rq

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/leakspec/leakspec/internal/pyproc"
	"github.com/leakspec/leakspec/worker"
)

// DefaultPython is the interpreter StartWorker runs when none is given:
// Debian's, which has python3-rq. The python3 first on PATH may be another
// one without RQ.
const DefaultPython = "/usr/bin/python3"

// readyLine matches the line RQ 1.13's worker logs once it has registered
// itself and starts to take jobs: "*** Listening on default...".
var readyLine = regexp.MustCompile(`\*\*\* Listening on `)

// WorkerOptions says how to run an RQ worker.
type WorkerOptions struct {
	// Python is the interpreter that runs RQ; DefaultPython when empty.
	Python string
	// Dir is the directory of the job modules. It goes first on the
	// worker's PYTHONPATH, ahead of the caller's own PYTHONPATH.
	Dir string
	// PythonEnv adds directories to PYTHONPATH and variables to the
	// worker's environment.
	worker.PythonEnv
	// RedisURL is the worker's Redis, such as "redis://127.0.0.1:6379/0".
	RedisURL string
	// Queues are the queues the worker takes jobs from, in priority order;
	// DefaultQueue when empty.
	Queues []string
	// LogPath is the file that receives the worker's output.
	LogPath string
	// Forking runs RQ's default Worker, which forks a work horse per job,
	// instead of SimpleWorker. The horse takes whatever the job's code
	// leaked with it when it exits, so a leak in a job does not show; what
	// the worker's own loop keeps in the parent, job after job, does (RQ
	// 2.x kept an Execution per job in the parent until rq#2434). The horse
	// shares the parent's pages: judge a forking worker on PSS. A fork per
	// job makes it slow: 15 to 25 no-op jobs a second on 2 cores.
	Forking bool
	// Scheduler starts RQ's scheduler with the worker, which jobs need
	// when they retry after a non-zero RetryInterval.
	Scheduler bool
	// Imports are modules StartWorker imports with the worker's Python and
	// PYTHONPATH before it starts the worker, usually the job modules. RQ
	// imports a job's module only when it runs the job, so without this a
	// misspelt module fails every job instead of the start.
	Imports []string
	// Extra are further arguments for `rq worker`, placed before the
	// queue names, such as "--max-jobs", "100".
	Extra []string
}

// WorkerCommand returns the command that runs the worker opts describe. It
// reads the caller's PYTHONPATH, to extend it, and nothing else.
func WorkerCommand(opts WorkerOptions) worker.Command {
	python := opts.Python
	if python == "" {
		python = DefaultPython
	}
	queues := opts.Queues
	if len(queues) == 0 {
		queues = []string{DefaultQueue}
	}
	class := "rq.worker.SimpleWorker"
	if opts.Forking {
		class = "rq.worker.Worker"
	}
	argv := []string{python, "-m", "rq.cli", "worker",
		// The serializer Queue writes (plain JSON) and reads back.
		"--serializer", "rq.serializers.JSONSerializer",
		"--worker-class", class,
	}
	if opts.Scheduler {
		argv = append(argv, "--with-scheduler")
	}
	argv = append(argv, opts.Extra...)
	argv = append(argv, queues...)
	return worker.Command{
		Argv: argv,
		// The URL goes in RQ's own variable rather than --url: it may hold
		// a password, and a command line is there for every local user to
		// read in ps, an environment only for its owner.
		Env:     append(opts.Environ(opts.Dir), "RQ_REDIS_URL="+opts.RedisURL),
		LogPath: opts.LogPath,
		Ready:   readyLine,
		// RQ's warm shutdown waits for the job at hand, which a leak spec
		// no longer needs once its recording is over; PYTHONUNBUFFERED has
		// put every line in the pipe already. The work horse's setsid is
		// no escape: Stop finds it before the first signal.
		Stop: worker.StopKill,
	}
}

// Worker is a running RQ worker.
type Worker struct {
	*worker.Process
	// Installation is the RQ the worker runs.
	Installation worker.Installation
}

// Installed returns the RQ the worker runs.
func (w *Worker) Installed() worker.Installation { return w.Installation }

// StartWorker checks that the interpreter can import RQ and opts.Imports,
// then starts the worker and returns once it listens on its queues. A
// missing interpreter, RQ or job module is one sentence saying what to
// fix; a missing RQ matches worker.ErrNotInstalled. Like worker.Start, it
// returns the Worker along with the error when the worker started but did
// not become ready.
func StartWorker(ctx context.Context, opts WorkerOptions) (*Worker, error) {
	cmd := WorkerCommand(opts)
	if opts.RedisURL == "" {
		return nil, errors.New("start rq worker: RedisURL is empty; the worker needs the URL of its Redis")
	}
	inst, err := checkImports(ctx, cmd.Argv[0], opts.Dir, cmd.Env, append([]string{"rq"}, opts.Imports...))
	if err != nil {
		return nil, err
	}
	p, err := worker.Start(ctx, cmd)
	if p == nil {
		return nil, err
	}
	return &Worker{Process: p, Installation: inst}, err
}

// Start fills the options left empty from d (the interpreter, the "rq"
// scenario apps, Redis, the log file, the environment) and starts the
// worker (see StartWorker).
func (opts WorkerOptions) Start(ctx context.Context, d worker.Defaults) (*Worker, error) {
	d.FillPython("rq", &opts.Python, &opts.Dir, &opts.RedisURL, &opts.LogPath, &opts.PythonEnv)
	return StartWorker(ctx, opts)
}

// checkImports runs python once to import modules, the first of which is
// RQ itself, and returns the RQ it imported, or says in one sentence what
// to fix when one fails.
func checkImports(ctx context.Context, python, dir string, env []string, modules []string) (worker.Installation, error) {
	lines, err := pyproc.Import(ctx, python, env, modules, pyproc.InstallationEpilogue("rq", "redis"))
	var (
		importErr     *pyproc.ImportError
		unfinishedErr *pyproc.UnfinishedError
		runErr        *pyproc.RunError
	)
	switch {
	case err == nil:
		inst, ok := worker.PythonInstallation("rq", lines)
		if !ok {
			return worker.Installation{}, fmt.Errorf("start rq worker: %s imported %s but did not say which RQ it imported: %q", python, strings.Join(modules, ", "), strings.Join(lines, "\n"))
		}
		return inst, nil
	case errors.Is(err, pyproc.ErrNoInterpreter):
		return worker.Installation{}, fmt.Errorf("start rq worker: cannot find the Python interpreter %s; set the interpreter to a Python 3 with RQ, such as %s (Debian's python3-rq)", python, DefaultPython)
	case errors.As(err, &unfinishedErr):
		return worker.Installation{}, fmt.Errorf("start rq worker: importing %s with %s did not finish (%w)", strings.Join(modules, ", "), python, unfinishedErr.Cause)
	case errors.As(err, &importErr):
		if importErr.Module == "rq" {
			return worker.Installation{}, &worker.NotInstalledError{System: "rq", Packages: []string{"python3-rq", "python3-redis"},
				Reason: fmt.Sprintf("start rq worker: %s cannot import rq (%s); install RQ for it or set the interpreter to one that has it", python, importErr.Reason)}
		}
		where := "Dir is empty, so only the caller's PYTHONPATH is searched"
		if dir != "" {
			where = fmt.Sprintf("Dir %s is first on its PYTHONPATH", dir)
		}
		return worker.Installation{}, fmt.Errorf("start rq worker: %s cannot import the job module %s (%s); %s", python, importErr.Module, importErr.Reason, where)
	case errors.As(err, &runErr) && runErr.Stderr != "":
		return worker.Installation{}, fmt.Errorf("start rq worker: importing %s with %s failed (%w): %s", strings.Join(modules, ", "), python, runErr.Err, runErr.Stderr)
	case errors.As(err, &runErr):
		return worker.Installation{}, fmt.Errorf("start rq worker: running %s failed: %w", python, runErr.Err)
	default:
		return worker.Installation{}, fmt.Errorf("start rq worker: %w", err)
	}
}
