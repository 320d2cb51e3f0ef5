package pyproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// python is Debian's interpreter; the import script needs only the
// standard library.
const python = "/usr/bin/python3"

// modules writes each name's source as name.py into a new directory and
// returns the directory.
func modules(t *testing.T, sources map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range sources {
		if err := os.WriteFile(filepath.Join(dir, name+".py"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestImport(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s is needed to run the import check: %v", python, err)
	}
	dir := modules(t, map[string]string{
		"good":    "import os\nVALUE = os.environ['PYPROC_VALUE']\n",
		"broken":  "raise RuntimeError('no config')\n",
		"exiting": "import sys\nsys.exit(7)\n",
	})
	env := append(Env(dir), "PYPROC_VALUE=from-env")

	t.Run("imports and runs the epilogue", func(t *testing.T) {
		lines, err := Import(context.Background(), python, env, []string{"json", "good"}, "import good\nprint('noise')\nprint(good.VALUE)\nprint(len(sys.argv) - 1)\n")
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		if want := []string{"noise", "from-env", "2"}; !slices.Equal(lines, want) {
			t.Errorf("stdout lines = %q, want %q", lines, want)
		}
	})

	failures := []struct {
		name    string
		modules []string
		module  string
		reason  string
	}{
		{"missing module", []string{"json", "nosuchmodule", "good"}, "nosuchmodule", "ModuleNotFoundError: No module named 'nosuchmodule'"},
		{"module raises", []string{"good", "broken"}, "broken", "RuntimeError: no config"},
		{"module exits", []string{"exiting"}, "exiting", "SystemExit: 7"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Import(context.Background(), python, env, tt.modules, "print('never')\n")
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("Import = %v, want an *ImportError", err)
			}
			if ie.Module != tt.module || ie.Reason != tt.reason {
				t.Errorf("ImportError = {%q, %q}, want {%q, %q}", ie.Module, ie.Reason, tt.module, tt.reason)
			}
		})
	}

	t.Run("missing interpreter", func(t *testing.T) {
		for _, p := range []string{"/nonexistent/python3", "leakspec-no-such-python"} {
			_, err := Import(context.Background(), p, nil, []string{"json"}, "")
			if !errors.Is(err, ErrNoInterpreter) {
				t.Errorf("Import with %s = %v, want ErrNoInterpreter", p, err)
			}
		}
	})

	t.Run("epilogue fails", func(t *testing.T) {
		_, err := Import(context.Background(), python, nil, []string{"json"}, "raise ValueError('late')\n")
		var re *RunError
		if !errors.As(err, &re) {
			t.Fatalf("Import = %v, want a *RunError", err)
		}
		if re.Stderr != "ValueError: late" {
			t.Errorf("RunError.Stderr = %q, want the exception's line", re.Stderr)
		}
	})

	t.Run("silent exit", func(t *testing.T) {
		_, err := Import(context.Background(), python, nil, nil, "sys.exit(5)\n")
		var re *RunError
		if !errors.As(err, &re) || re.Stderr != "" {
			t.Fatalf("Import = %#v, want a *RunError with no stderr", err)
		}
	})

	t.Run("blocking import is killed with its group", func(t *testing.T) {
		// The module starts a grandchild, which only killing the group
		// ends, and says its pid.
		block := modules(t, map[string]string{
			"blocking": "import os, subprocess, time\n" +
				"p = subprocess.Popen(['sleep', '60'])\n" +
				"open(os.path.join(os.path.dirname(__file__), 'pid'), 'w').write(str(p.pid))\n" +
				"time.sleep(60)\n",
		})
		cause := errors.New("the spec gave up")
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		go func() {
			// Cancel once the grandchild runs, so that there is one to kill.
			for ctx.Err() == nil {
				if _, err := os.Stat(filepath.Join(block, "pid")); err == nil {
					cancel(cause)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		_, err := Import(ctx, python, Env(block), []string{"blocking"}, "")
		var ue *UnfinishedError
		if !errors.As(err, &ue) || !errors.Is(err, cause) {
			t.Fatalf("Import = %v, want an *UnfinishedError caused by %v", err, cause)
		}
		raw, err := os.ReadFile(filepath.Join(block, "pid"))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		// SIGKILL is delivered at once, but the orphan is reaped by init
		// a moment later: until then it is a zombie, which runs nothing.
		deadline := time.Now().Add(5 * time.Second)
		for {
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil || strings.Contains(string(stat), ") Z ") {
				break
			}
			if time.Now().After(deadline) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("the grandchild %d still runs after Import returned: %s", pid, stat)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestLastLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"one\n":                    "one",
		"Traceback\n  x\nE: y\n\n": "E: y",
	} {
		if got := lastLine(in); got != want {
			t.Errorf("lastLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInstallationEpilogue(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s is needed to run the epilogue: %v", python, err)
	}
	dir := modules(t, map[string]string{
		"chatty":   "print('chatty 1.0 from nowhere')\n__version__ = '1.0'\n",
		"unversed": "",
		"broken":   "raise RuntimeError('no config')\n",
	})
	lines, err := Import(context.Background(), python, Env(dir), []string{"chatty"},
		InstallationEpilogue("chatty", "absent_package", "broken", "unversed"))
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	// What a module prints is not a package line; a package that cannot be
	// imported, for want of it or for its error, is left out.
	want := []Package{
		{Name: "chatty", Version: "1.0", Path: dir},
		{Name: "unversed", Version: "unknown", Path: dir},
	}
	if got := ParseInstallation(lines); !slices.Equal(got, want) {
		t.Errorf("ParseInstallation(%q) = %+v, want %+v", lines, got, want)
	}
}

// TestInstallationEpilogueReadsACheckoutsOwnVersion: a package that sets
// __version__ from importlib.metadata, as redis-py does, reads the metadata
// of whichever copy is installed; a checkout of it first on PYTHONPATH must
// not be reported as that copy's version.
func TestInstallationEpilogueReadsACheckoutsOwnVersion(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s is needed to run the epilogue: %v", python, err)
	}
	root := t.TempDir()
	write := func(rel, text string) {
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fromMetadata := "from importlib import metadata\n__version__ = metadata.version('leakspec_probe_pkg')\n"
	write("site/leakspec_probe_pkg-4.3.4.dist-info/METADATA", "Metadata-Version: 2.1\nName: leakspec_probe_pkg\nVersion: 4.3.4\n")
	write("site/leakspec_probe_pkg/__init__.py", fromMetadata)
	write("checkout/leakspec_probe_pkg/__init__.py", fromMetadata)
	write("checkout/setup.py", "from setuptools import setup\n\nsetup(\n    name=\"leakspec_probe_pkg\",\n    version=\"5.0.8\",\n)\n")
	write("literal/leakspec_probe_pkg/__init__.py", "__version__ = '4.3.4'\n")
	write("bare/leakspec_probe_pkg/__init__.py", fromMetadata)
	site := filepath.Join(root, "site")
	for _, tc := range []struct {
		first, version string
	}{
		{"site", "4.3.4"},     // the installed copy: its metadata is its own
		{"checkout", "5.0.8"}, // from its setup.py
		{"literal", "4.3.4"},  // it spells its version out: the same, but its own
		{"bare", "unknown"},   // no build file says
	} {
		dir := filepath.Join(root, tc.first)
		env := []string{"PYTHONPATH=" + dir + string(os.PathListSeparator) + site}
		lines, err := Import(context.Background(), python, env, nil, InstallationEpilogue("leakspec_probe_pkg"))
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		want := []Package{{Name: "leakspec_probe_pkg", Version: tc.version, Path: filepath.Join(dir, "leakspec_probe_pkg")}}
		if got := ParseInstallation(lines); !slices.Equal(got, want) {
			t.Errorf("%s first: ParseInstallation = %+v, want %+v", tc.first, got, want)
		}
	}
}
