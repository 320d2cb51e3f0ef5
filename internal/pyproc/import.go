package pyproc

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

// Timeout bounds each Import. Importing a queue library and a spec's
// modules takes about a second; a module that blocks at import time must
// not hang the test.
const Timeout = 30 * time.Second

// ErrNoInterpreter is what Import's error matches (errors.Is) when the
// interpreter does not exist or is not on PATH.
var ErrNoInterpreter = errors.New("python interpreter not found")

// ImportError is Import's error when a module failed to import: the first
// that did, and the exception, as "Type: message".
type ImportError struct {
	Module, Reason string
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("import %s: %s", e.Module, e.Reason)
}

// UnfinishedError is Import's error when the interpreter did not exit
// before Timeout or the end of the caller's context; Cause is the
// context's cause.
type UnfinishedError struct {
	Cause error
}

func (e *UnfinishedError) Error() string {
	return fmt.Sprintf("run python: did not finish: %v", e.Cause)
}

func (e *UnfinishedError) Unwrap() error { return e.Cause }

// RunError is Import's error when the interpreter failed otherwise: Err is
// exec's, and Stderr the last line the interpreter wrote to stderr, empty
// when it wrote none.
type RunError struct {
	Err    error
	Stderr string
}

func (e *RunError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("run python: %v", e.Err)
	}
	return fmt.Sprintf("run python: %v: %s", e.Err, e.Stderr)
}

func (e *RunError) Unwrap() error { return e.Err }

// importExit is the status the import script exits with when a module
// fails; Python itself exits 1 on an uncaught exception.
const importExit = 3

// importScript imports each module named in argv and, at the first that
// fails, prints the module and the exception as its last two lines. Every
// exception counts, SystemExit included: a module that exits at import
// time is one that failed.
const importScript = `import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException as e:
        print(name)
        print("%s: %s" % (type(e).__name__, e))
        sys.exit(3)
`

// Import runs python once, with env added to the caller's environment, to
// import modules in order, and then runs epilogue, Python code that may
// print what the caller wants to know about what it imported. It returns
// the lines python printed to stdout.
//
// The interpreter runs in a process group of its own, which dies with the
// caller and is killed whole when ctx ends or Timeout passes: a module may
// start processes at import time.
//
// Its error is an *ImportError when a module failed to import, matches
// ErrNoInterpreter when python is missing, and is an *UnfinishedError or a
// *RunError otherwise.
func Import(ctx context.Context, python string, env, modules []string, epilogue string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	c := exec.CommandContext(ctx, python, append([]string{"-c", importScript + epilogue}, modules...)...)
	c.Env = append(os.Environ(), env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	// A grandchild that keeps the output pipes open must not keep Wait
	// waiting once the group is killed.
	c.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	var lines []string
	if out := strings.TrimSpace(stdout.String()); out != "" {
		lines = strings.Split(out, "\n")
	}
	if err == nil {
		return lines, nil
	}

	var exitErr *exec.ExitError
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound):
		return nil, fmt.Errorf("%w: %w", ErrNoInterpreter, err)
	case ctx.Err() != nil:
		return lines, &UnfinishedError{Cause: context.Cause(ctx)}
	case errors.As(err, &exitErr) && exitErr.ExitCode() == importExit && len(lines) >= 2:
		return lines, &ImportError{Module: lines[len(lines)-2], Reason: lines[len(lines)-1]}
	}
	return lines, &RunError{Err: err, Stderr: lastLine(stderr.String())}
}

// lastLine returns the last non-empty line of s, or "" when there is none.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// packageLine starts each line that InstallationEpilogue prints, so that
// ParseInstallation tells them from what the imported modules printed.
const packageLine = "leakspec-package\t"

// Package is a Python package as an interpreter imported it.
type Package struct {
	// Name is the package's import name, such as "kombu".
	Name string
	// Version is its __version__, or "unknown" when it has none. A
	// __version__ that only repeats another copy's package metadata is
	// replaced by the version in the copy's build files (see versionOf).
	Version string
	// Path is the directory it was imported from.
	Path string
}

// InstallationEpilogue returns the epilogue for Import that prints a line
// for each of packages, in order: its name, version (its __version__, or
// "unknown") and the directory it was imported from. A package that cannot
// be imported is left out; one that Import's modules imported already is
// only looked up. ParseInstallation reads the lines.
func InstallationEpilogue(packages ...string) string {
	quoted := make([]string, len(packages))
	for i, p := range packages {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	// The line begins with packageLine, a tab in Python's escape.
	return versionOf + fmt.Sprintf(`
for _name in [%s]:
    try:
        _pkg = _il.import_module(_name)
    except Exception:
        continue
    print("leakspec-package\t%%s\t%%s\t%%s" %% (_name, _leakspec_version(_name, _pkg), _os.path.dirname(_pkg.__file__)))
`, strings.Join(quoted, ", "))
}

// versionOf defines _leakspec_version(name, module): the module's
// __version__, unless that only repeats the package metadata of another
// copy. redis-py sets __version__ from importlib.metadata, so a checkout
// of v5.0.8 first on PYTHONPATH read as Debian's 4.3.4, installed beside
// it. A version the copy's own files do not spell out, where the metadata
// found is another copy's, is read from the checkout's build files
// (pyproject.toml, setup.cfg, setup.py), or else is unknown.
const versionOf = `import importlib as _il, os as _os, re as _re
def _leakspec_version(name, mod):
    v = getattr(mod, "__version__", None)
    if v is None:
        return "unknown"
    v = str(v)
    path = _os.path.realpath(mod.__file__)
    package = _os.path.basename(path) == "__init__.py"
    here = _os.path.dirname(path) if package else path
    try:
        from importlib import metadata as _md
        dist = _md.distribution(name)
        theirs = _os.path.realpath(str(dist.locate_file(name if package else name + ".py")))
    except Exception:
        return v
    if theirs == here or v != dist.version:
        return v
    for f in ["__init__.py", "_version.py", "__version__.py", "version.py", "__about__.py"] if package else [path]:
        try:
            with open(_os.path.join(here, f) if package else f) as src:
                text = src.read()
            if ("'%s'" % v) in text or ('"%s"' % v) in text:
                return v
        except OSError:
            pass
    root = _os.path.dirname(here)
    for f in ("pyproject.toml", "setup.cfg", "setup.py"):
        try:
            with open(_os.path.join(root, f)) as src:
                m = _re.search(r"^\s*version\s*[=:]\s*[\"']?([0-9][^\"'\s,]*)", src.read(), _re.M)
        except OSError:
            continue
        if m:
            return m.group(1)
    return "unknown"
`

// ParseInstallation returns the packages that the epilogue of
// InstallationEpilogue printed among lines, in its order.
func ParseInstallation(lines []string) []Package {
	var packages []Package
	for _, line := range lines {
		fields, ok := strings.CutPrefix(line, packageLine)
		if !ok {
			continue
		}
		name, rest, _ := strings.Cut(fields, "\t")
		version, path, _ := strings.Cut(rest, "\t")
		packages = append(packages, Package{Name: name, Version: version, Path: path})
	}
	return packages
}
