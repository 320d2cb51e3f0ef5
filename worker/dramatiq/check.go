package dramatiq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// importTimeout bounds each run of the interpreter that checks imports.
// Importing Dramatiq and an app takes well under a second; an app that
// blocks at import time must not hang the test.
const importTimeout = 30 * time.Second

// ErrNotInstalled is what the errors of Probe and StartWorker match
// (errors.Is) when the interpreter runs but cannot import Dramatiq or its
// Redis broker: a suite skips on it, while a missing interpreter or a
// broken app fails it.
var ErrNotInstalled = errors.New("dramatiq cannot be imported")

// notInstalled is an error sentence that matches ErrNotInstalled.
type notInstalled struct{ msg string }

func (e *notInstalled) Error() string        { return e.msg }
func (e *notInstalled) Is(target error) bool { return target == ErrNotInstalled }

// Installation is the Dramatiq an interpreter imports.
type Installation struct {
	// Version is dramatiq.__version__, such as "2.0.0".
	Version string
	// Path is the directory of the dramatiq package it imports.
	Path string
}

// importCheck imports each module named in argv and, at the first that
// fails, prints the module and the exception as its last two lines. Once
// all are imported it prints Dramatiq's version and where it lives.
const importCheck = `import importlib, os, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException as e:
        print(name)
        print("%s: %s" % (type(e).__name__, e))
        sys.exit(3)
import dramatiq
print(dramatiq.__version__)
print(os.path.dirname(dramatiq.__file__))
`

// Probe runs python, with dir first on its PYTHONPATH ahead of the
// caller's, and reports the Dramatiq it imports along with its Redis broker.
// When it cannot import them, the error matches ErrNotInstalled and is one
// sentence saying what is missing and how to provide it.
func Probe(ctx context.Context, python, dir string) (Installation, error) {
	if python == "" {
		python = DefaultPython
	}
	return checkImports(ctx, python, dir, "", "")
}

// checkImports runs python once to import Dramatiq, its Redis broker and,
// unless it is empty, the app module, which sees redisURL as REDIS_URL.
func checkImports(ctx context.Context, python, dir, redisURL, module string) (Installation, error) {
	modules := []string{"dramatiq", "dramatiq.brokers.redis"}
	if module != "" {
		modules = append(modules, module)
	}
	ctx, cancel := context.WithTimeout(ctx, importTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, python, append([]string{"-c", importCheck}, modules...)...)
	c.Env = append(os.Environ(), pythonEnv(dir)...)
	if redisURL != "" {
		c.Env = append(c.Env, "REDIS_URL="+redisURL)
	}
	// Its own group, killed whole when ctx ends: an app may start
	// processes at import time.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err == nil && len(lines) >= 2 {
		return Installation{Version: lines[len(lines)-2], Path: lines[len(lines)-1]}, nil
	}

	var exitErr *exec.ExitError
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound):
		return Installation{}, fmt.Errorf("check dramatiq: cannot find the Python interpreter %s; set python.interpreter in ginkgo.yml (or LEAKSPEC_PYTHON) to a Python 3 that has redis-py, such as %s with Debian's python3-redis", python, DefaultPython)
	case ctx.Err() != nil:
		return Installation{}, fmt.Errorf("check dramatiq: importing %s with %s did not finish (%w)", strings.Join(modules, ", "), python, context.Cause(ctx))
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 3 && len(lines) >= 2:
		failed, reason := lines[len(lines)-2], lines[len(lines)-1]
		switch failed {
		case "dramatiq":
			return Installation{}, &notInstalled{fmt.Sprintf("%s cannot import dramatiq (%s): Debian does not package Dramatiq, so install it for that interpreter, or put a checkout of its source (v2.0.0 or later) on PYTHONPATH, or set python.interpreter (LEAKSPEC_PYTHON) to a Python that has it", python, reason)}
		case "dramatiq.brokers.redis":
			return Installation{}, &notInstalled{fmt.Sprintf("%s imports dramatiq but not its Redis broker (%s): install redis-py for that interpreter (Debian: python3-redis)", python, reason)}
		}
		where := "Dir is empty, so only the caller's PYTHONPATH is searched"
		if dir != "" {
			where = fmt.Sprintf("Dir %s is first on its PYTHONPATH", dir)
		}
		return Installation{}, fmt.Errorf("check dramatiq: %s cannot import the app module %s (%s); %s", python, failed, reason, where)
	case err == nil:
		return Installation{}, fmt.Errorf("check dramatiq: %s imported %s but did not say which Dramatiq it imported: %q", python, strings.Join(modules, ", "), stdout.String())
	case stderr.Len() > 0:
		return Installation{}, fmt.Errorf("check dramatiq: importing %s with %s failed (%w): %s", strings.Join(modules, ", "), python, err, lastLine(stderr.String()))
	default:
		return Installation{}, fmt.Errorf("check dramatiq: running %s failed: %w", python, err)
	}
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
