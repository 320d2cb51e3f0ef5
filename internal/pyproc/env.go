// Package pyproc runs Python the way leakspec's Python worker adapters (RQ,
// Dramatiq, Celery) need it: with the environment every Python process of a
// spec gets, and an import check that turns a missing interpreter, package
// or module into an error the adapter can phrase as one sentence before it
// starts a worker that would otherwise fail late or obscurely.
package pyproc

import (
	"os"
	"strings"
)

// Env returns the variables every Python process an adapter starts gets,
// to add to the caller's environment:
//
//   - PYTHONPATH has dirs (probes, then the job or app modules) first, in order, so that the spec's
//     own modules win over any of the same name, then the caller's own
//     PYTHONPATH, which may be what brings the queue library itself. It is
//     left out when both are empty, so that Python's default applies.
//   - PYTHONUNBUFFERED=1, because Python buffers stdout in blocks when it is
//     a pipe: a worker's ready line and the log lines that events come from
//     would arrive late or never.
//   - PYTHONDONTWRITEBYTECODE=1, so that no __pycache__ is written next to
//     the modules, which are often the repository's own embedded files.
//
// It reads the caller's PYTHONPATH and nothing else.
func Env(dirs ...string) []string {
	var path []string
	for _, dir := range dirs {
		if dir != "" {
			path = append(path, dir)
		}
	}
	if inherited := os.Getenv("PYTHONPATH"); inherited != "" {
		path = append(path, inherited)
	}
	env := []string{"PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"}
	if len(path) > 0 {
		env = append(env, "PYTHONPATH="+strings.Join(path, string(os.PathListSeparator)))
	}
	return env
}
