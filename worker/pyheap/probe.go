package pyheap

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/leakspec/leakspec/worker"
)

//go:embed probe/*.py
var probeFiles embed.FS

// EnvDir is the variable that turns the probe on and names the directory of
// its sockets and snapshot files. Without it the probe does nothing.
const EnvDir = "LEAKSPEC_PYHEAP_DIR"

// Probe is an installed probe: the directory Python imports it from, and
// the directory its processes listen and write in.
type Probe struct {
	// PythonPath is the directory that must come first on the worker's
	// PYTHONPATH for its sitecustomize to be the one Python imports.
	PythonPath string
	// Dir holds the probes' sockets, <pid>.sock, and the snapshot files.
	Dir string
}

// Install writes the probe into dir/python and returns it, with dir/run
// for its sockets. dir should be the spec's own: every probe that listens
// there is taken as a process of the spec's worker. A Unix socket path is
// limited to 107 bytes, so dir should be short (t.TempDir() is).
func Install(dir string) (*Probe, error) {
	p := &Probe{PythonPath: filepath.Join(dir, "python"), Dir: filepath.Join(dir, "run")}
	for _, d := range []string{p.PythonPath, p.Dir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("install probe: %w", err)
		}
	}
	entries, err := probeFiles.ReadDir("probe")
	if err != nil {
		return nil, fmt.Errorf("install probe: %w", err)
	}
	for _, e := range entries {
		data, err := probeFiles.ReadFile("probe/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("install probe: %w", err)
		}
		if err := os.WriteFile(filepath.Join(p.PythonPath, e.Name()), data, 0o600); err != nil {
			return nil, fmt.Errorf("install probe: %w", err)
		}
	}
	if n := len(filepath.Join(p.Dir, "4194304.sock")); n > 107 {
		return nil, fmt.Errorf("install probe: socket paths under %s would be %d bytes, longer than the 107 a Unix socket allows; install in a shorter directory", p.Dir, n)
	}
	return p, nil
}

// Env returns the variable that turns the probe on, to add to the worker's
// environment along with PythonPath first on its PYTHONPATH.
func (p *Probe) Env() []string {
	return []string{EnvDir + "=" + p.Dir}
}

// Apply returns cmd with the probe on: PythonPath first on the PYTHONPATH
// of cmd.Env (or of the caller's environment, which cmd.Env extends), and
// Env added. The adapters' WorkerCommand put the app directory first on
// PYTHONPATH; the probe goes before it, and runs the app's own
// sitecustomize, if it has one, after its own.
func (p *Probe) Apply(cmd worker.Command) worker.Command {
	env := make([]string, 0, len(cmd.Env)+2)
	path := os.Getenv("PYTHONPATH")
	for _, kv := range cmd.Env {
		if v, ok := strings.CutPrefix(kv, "PYTHONPATH="); ok {
			path = v
			continue
		}
		env = append(env, kv)
	}
	if path == "" {
		path = p.PythonPath
	} else {
		path = p.PythonPath + string(os.PathListSeparator) + path
	}
	cmd.Env = append(append(env, "PYTHONPATH="+path), p.Env()...)
	return cmd
}
