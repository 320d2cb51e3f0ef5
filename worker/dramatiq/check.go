package dramatiq

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/leakspec/leakspec/internal/pyproc"
	"github.com/leakspec/leakspec/worker"
)

// ErrNotInstalled is what the errors of Probe and StartWorker match
// when the interpreter cannot import Dramatiq or its Redis broker: it is
// worker.ErrNotInstalled, and a suite skips the Dramatiq specs on it.
var ErrNotInstalled = worker.ErrNotInstalled

// notInstalled is an error sentence that matches ErrNotInstalled.
func notInstalled(msg string, packages ...string) error {
	return &worker.NotInstalledError{System: "dramatiq", Packages: packages, Reason: msg}
}

// Installation is the Dramatiq an interpreter imports: System is
// "dramatiq".
type Installation = worker.Installation

// Probe runs python, with dir first on its PYTHONPATH ahead of the
// caller's, and reports the Dramatiq it imports along with its Redis broker.
// When it cannot import them, the error matches ErrNotInstalled and is one
// sentence saying what is missing and how to provide it.
func Probe(ctx context.Context, python, dir string) (Installation, error) {
	if python == "" {
		python = DefaultPython
	}
	return checkImports(ctx, python, dir, pyproc.Env(dir), "")
}

// checkImports runs python once to import Dramatiq, its Redis broker and,
// unless it is empty, the app module, with env (the worker's) added to the
// caller's environment.
func checkImports(ctx context.Context, python, dir string, env []string, module string) (Installation, error) {
	modules := []string{"dramatiq", "dramatiq.brokers.redis"}
	if module != "" {
		modules = append(modules, module)
	}
	lines, err := pyproc.Import(ctx, python, env, modules, pyproc.InstallationEpilogue("dramatiq", "redis"))
	if inst, ok := worker.PythonInstallation("dramatiq", lines); err == nil && ok {
		return inst, nil
	}

	var (
		importErr     *pyproc.ImportError
		unfinishedErr *pyproc.UnfinishedError
		runErr        *pyproc.RunError
	)
	switch {
	case errors.Is(err, pyproc.ErrNoInterpreter):
		return Installation{}, fmt.Errorf("check dramatiq: cannot find the Python interpreter %s; set python.interpreter in ginkgo.yml (or LEAKSPEC_PYTHON) to a Python 3 that has redis-py, such as %s with Debian's python3-redis", python, DefaultPython)
	case errors.As(err, &unfinishedErr):
		return Installation{}, fmt.Errorf("check dramatiq: importing %s with %s did not finish (%w)", strings.Join(modules, ", "), python, unfinishedErr.Cause)
	case errors.As(err, &importErr):
		failed, reason := importErr.Module, importErr.Reason
		switch failed {
		case "dramatiq":
			return Installation{}, notInstalled(fmt.Sprintf("%s cannot import dramatiq (%s): Debian does not package Dramatiq, so install it for that interpreter, or put a checkout of its source (v2.0.0 or later) on PYTHONPATH, or set python.interpreter (LEAKSPEC_PYTHON) to a Python that has it", python, reason))
		case "dramatiq.brokers.redis":
			return Installation{}, notInstalled(fmt.Sprintf("%s imports dramatiq but not its Redis broker (%s): install redis-py for that interpreter (Debian: python3-redis)", python, reason), "python3-redis")
		}
		where := "Dir is empty, so only the caller's PYTHONPATH is searched"
		if dir != "" {
			where = fmt.Sprintf("Dir %s is first on its PYTHONPATH", dir)
		}
		return Installation{}, fmt.Errorf("check dramatiq: %s cannot import the app module %s (%s); %s", python, failed, reason, where)
	case err == nil:
		return Installation{}, fmt.Errorf("check dramatiq: %s imported %s but did not say which Dramatiq it imported: %q", python, strings.Join(modules, ", "), strings.Join(lines, "\n"))
	case errors.As(err, &runErr) && runErr.Stderr != "":
		return Installation{}, fmt.Errorf("check dramatiq: importing %s with %s failed (%w): %s", strings.Join(modules, ", "), python, runErr.Err, runErr.Stderr)
	case errors.As(err, &runErr):
		return Installation{}, fmt.Errorf("check dramatiq: running %s failed: %w", python, runErr.Err)
	default:
		return Installation{}, fmt.Errorf("check dramatiq: %w", err)
	}
}
