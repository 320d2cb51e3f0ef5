package worker

import (
	"strings"

	"github.com/leakspec/leakspec/internal/pyproc"
)

// Installation is the worker system a Python adapter's interpreter
// imports: its version, and the directory of the package, with the
// packages it runs on. A spec run against a checkout put first on
// PYTHONPATH, such as the version from before an upstream fix, reports the
// same version as the installed one more often than not; the path says
// which of the two ran.
type Installation struct {
	// System is the adapter's system: "rq", "celery" or "dramatiq".
	System string
	// Version is the package's __version__, such as "5.2.6", or
	// "unknown" when it has none.
	Version string
	// Path is the directory of the package the interpreter imports.
	Path string
	// Dependencies are the packages the system runs on where a leak and
	// its fix may lie, as the same interpreter imports them: kombu and
	// billiard under Celery, redis-py under every system. One that cannot
	// be imported is left out.
	Dependencies []Package
}

// Package is a Python package as an interpreter imports it.
type Package struct {
	// Name is its import name, such as "kombu".
	Name string
	// Version is its __version__, or "unknown" when it has none.
	Version string
	// Path is the directory it is imported from.
	Path string
}

// String returns the package as "kombu 5.2.4 from /usr/lib/python3/dist-packages/kombu".
func (p Package) String() string {
	return p.Name + " " + p.Version + " from " + p.Path
}

// String returns the installation as one phrase: "celery 5.2.6 from
// /usr/lib/python3/dist-packages/celery, with kombu 5.2.4 from ... and
// redis 4.3.4 from ..."; empty for the zero Installation.
func (i Installation) String() string {
	if i.System == "" {
		return ""
	}
	s := Package{Name: i.System, Version: i.Version, Path: i.Path}.String()
	if len(i.Dependencies) == 0 {
		return s
	}
	deps := make([]string, len(i.Dependencies))
	for j, d := range i.Dependencies {
		deps[j] = d.String()
	}
	last := len(deps) - 1
	if last == 0 {
		return s + ", with " + deps[0]
	}
	return s + ", with " + strings.Join(deps[:last], ", ") + " and " + deps[last]
}

// PythonInstallation returns the installation of system from the lines
// of a pyproc.Import run with pyproc.InstallationEpilogue(system, its
// dependencies...); ok is false when they do not name system.
func PythonInstallation(system string, lines []string) (inst Installation, ok bool) {
	for _, p := range pyproc.ParseInstallation(lines) {
		switch {
		case p.Name == system && !ok:
			inst.System, inst.Version, inst.Path, ok = p.Name, p.Version, p.Path, true
		case p.Name != system:
			inst.Dependencies = append(inst.Dependencies, Package(p))
		}
	}
	if !ok {
		return Installation{}, false
	}
	return inst, true
}
