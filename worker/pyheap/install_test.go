package pyheap_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/leakspec/leakspec/worker"
)

// TestAppSitecustomizeStillRuns starts a real interpreter with the probe
// before an app directory that has its own sitecustomize: both run, the
// probe first, and without LEAKSPEC_PYHEAP_DIR the probe stays silent.
func TestAppSitecustomizeStillRuns(t *testing.T) {
	app := t.TempDir()
	script := "import os\nopen(os.environ['MARK'], 'a').write('app ')\n"
	if err := os.WriteFile(filepath.Join(app, "sitecustomize.py"), []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{true, false} {
		probe := installProbe(t)
		mark := filepath.Join(t.TempDir(), "mark")
		cmd := probe.Apply(worker.Command{Env: []string{"PYTHONPATH=" + app, "MARK=" + mark}})
		if !on {
			cmd.Env = cmd.Env[:len(cmd.Env)-1] // drop LEAKSPEC_PYHEAP_DIR
		}
		// The process reports whether its probe listens, from inside.
		py := exec.CommandContext(t.Context(), python(), "-c",
			"import os, sys; open(os.environ['MARK'], 'a').write('main ' + str('leakspec_pyheap' in sys.modules))")
		py.Env = append(os.Environ(), cmd.Env...)
		py.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if out, err := py.CombinedOutput(); err != nil || len(out) > 0 {
			t.Fatalf("python: %v, output %q", err, out)
		}
		data, err := os.ReadFile(mark)
		if err != nil {
			t.Fatal(err)
		}
		want := "app main False"
		if on {
			want = "app main True"
		}
		if got := strings.TrimSpace(string(data)); got != want {
			t.Errorf("with the probe on=%v: the marks are %q, want %q", on, got, want)
		}
		if on && !strings.HasPrefix(cmd.Env[len(cmd.Env)-2], "PYTHONPATH="+probe.PythonPath+":"+app) {
			t.Errorf("Apply's PYTHONPATH is %q, want the probe first, then the app", cmd.Env[len(cmd.Env)-2])
		}
	}
}
