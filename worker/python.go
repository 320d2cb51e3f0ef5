package worker

import "github.com/leakspec/leakspec/internal/pyproc"

// PythonEnv is what a Python worker's environment holds beyond its app
// directory. Every Python adapter's options embed it, so that a probe
// package can reach every Python worker in one place.
type PythonEnv struct {
	// PythonPath holds directories to put first on the worker's
	// PYTHONPATH, ahead of its app directory and the caller's PYTHONPATH.
	PythonPath []string
	// Env holds "KEY=value" entries added to the worker's environment.
	Env []string
}

// Environ returns the variables of a Python worker whose app modules are in
// dir: PYTHONPATH with e.PythonPath, dir and the caller's PYTHONPATH, in
// that order, unbuffered output, no bytecode files, then e.Env.
func (e PythonEnv) Environ(dir string) []string {
	return append(pyproc.Env(append(e.PythonPath[:len(e.PythonPath):len(e.PythonPath)], dir)...), e.Env...)
}

// WithDefaults returns e with d's PythonPath and Env ahead of its own, for
// the adapters' Start methods.
func (e PythonEnv) WithDefaults(d Defaults) PythonEnv {
	return PythonEnv{
		PythonPath: append(d.PythonPath[:len(d.PythonPath):len(d.PythonPath)], e.PythonPath...),
		Env:        append(d.Env[:len(d.Env):len(d.Env)], e.Env...),
	}
}

// NotInstalledError says that a worker system cannot run here, and which
// Debian packages bring it. It matches ErrNotInstalled.
type NotInstalledError struct {
	// System names the worker system, such as "rq".
	System string
	// Packages are the Debian packages to install, if any do.
	Packages []string
	// Reason is the adapter's sentence.
	Reason string
}

func (e *NotInstalledError) Error() string        { return e.Reason }
func (e *NotInstalledError) Is(target error) bool { return target == ErrNotInstalled }

// FillPython fills the options every Python adapter shares from d, where
// they are empty: the interpreter, the system's scenario apps as the app
// directory, Redis and the log file; and puts d's PythonPath and Env ahead
// of the options' own.
func (d Defaults) FillPython(system string, python, dir, redisURL, logPath *string, env *PythonEnv) {
	*python = or(*python, d.Python)
	if *dir == "" && d.AppsDir != nil {
		*dir = d.AppsDir(system)
	}
	*redisURL = or(*redisURL, d.RedisURL)
	*logPath = or(*logPath, d.LogPath)
	*env = env.WithDefaults(d)
}
