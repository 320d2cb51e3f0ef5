package worker

// Installation is the worker system a Python adapter's interpreter
// imports: its version, and the directory of the package. A spec run
// against a checkout put first on PYTHONPATH, such as the version from
// before an upstream fix, reports the same version as the installed one
// more often than not; the path says which of the two ran.
type Installation struct {
	// System is the adapter's system: "rq", "celery" or "dramatiq".
	System string
	// Version is the package's __version__, such as "5.2.6", or
	// "unknown" when it has none.
	Version string
	// Path is the directory of the package the interpreter imports.
	Path string
}

// String returns the installation as one phrase: "celery 5.2.6 from
// /usr/lib/python3/dist-packages/celery"; empty for the zero Installation.
func (i Installation) String() string {
	if i == (Installation{}) {
		return ""
	}
	return i.System + " " + i.Version + " from " + i.Path
}
