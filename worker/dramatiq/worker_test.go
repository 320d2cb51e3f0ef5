package dramatiq

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/worker"
)

func TestWorkerCommand(t *testing.T) {
	const url = "redis://127.0.0.1:6379/0"
	tests := []struct {
		name     string
		opts     WorkerOptions
		inherit  string // the caller's PYTHONPATH
		wantArgv []string
		wantPath string
		// wantTimeout is the worker_timeout in ms: at Dramatiq's own 1 s,
		// a retry waits up to a second in the delay queue.
		wantTimeout string
	}{{
		name:        "defaults",
		opts:        WorkerOptions{Module: "app", RedisURL: url},
		wantArgv:    []string{"/usr/bin/python3", "-m", "dramatiq", "app", "--processes", "1", "--threads", "1"},
		wantTimeout: "100",
	}, {
		// The caller's PYTHONPATH is how a Dramatiq checkout reaches the
		// worker: it must survive, after the apps.
		name: "everything set",
		opts: WorkerOptions{
			Python: "/opt/py/bin/python", Dir: "/srv/apps", Module: "origin_actors", RedisURL: url,
			Processes: 2, Threads: 8, Queues: []string{"high", "low"},
			Extra:         []string{"--worker-shutdown-timeout", "1000"},
			WorkerTimeout: 250 * time.Millisecond,
		},
		wantTimeout: "250",
		inherit:     "/tmp/dramatiq-v2.0.0:/usr/local/lib/extra",
		wantArgv: []string{"/opt/py/bin/python", "-m", "dramatiq", "origin_actors", "--processes", "2", "--threads", "8",
			"--queues", "high", "low", "--worker-shutdown-timeout", "1000"},
		wantPath: "/srv/apps:/tmp/dramatiq-v2.0.0:/usr/local/lib/extra",
	}, {
		name:        "apps only",
		opts:        WorkerOptions{Module: "app", RedisURL: url, Dir: "/srv/apps"},
		wantArgv:    []string{"/usr/bin/python3", "-m", "dramatiq", "app", "--processes", "1", "--threads", "1"},
		wantPath:    "/srv/apps",
		wantTimeout: "100",
	}, {
		name:        "caller's path only",
		opts:        WorkerOptions{Module: "app", RedisURL: url},
		inherit:     "/tmp/dramatiq-main",
		wantArgv:    []string{"/usr/bin/python3", "-m", "dramatiq", "app", "--processes", "1", "--threads", "1"},
		wantPath:    "/tmp/dramatiq-main",
		wantTimeout: "100",
	}, {
		name:        "the caller's own worker timeout",
		opts:        WorkerOptions{Module: "app", RedisURL: url, PythonEnv: worker.PythonEnv{Env: []string{"dramatiq_worker_timeout=1000"}}},
		wantArgv:    []string{"/usr/bin/python3", "-m", "dramatiq", "app", "--processes", "1", "--threads", "1"},
		wantTimeout: "1000",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PYTHONPATH", tt.inherit)
			cmd := WorkerCommand(tt.opts)
			if !slices.Equal(cmd.Argv, tt.wantArgv) {
				t.Errorf("Argv\n got: %q\nwant: %q", cmd.Argv, tt.wantArgv)
			}
			env := map[string]string{}
			for _, kv := range cmd.Env {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			if env["PYTHONPATH"] != tt.wantPath {
				t.Errorf("PYTHONPATH = %q, want %q", env["PYTHONPATH"], tt.wantPath)
			}
			if env["REDIS_URL"] != url {
				t.Errorf("REDIS_URL = %q, want %q: the apps read their Redis from it", env["REDIS_URL"], url)
			}
			if env["dramatiq_worker_timeout"] != tt.wantTimeout {
				t.Errorf("dramatiq_worker_timeout = %q, want %q", env["dramatiq_worker_timeout"], tt.wantTimeout)
			}
			if env["PYTHONUNBUFFERED"] != "1" {
				t.Errorf("PYTHONUNBUFFERED = %q, want 1, or log lines arrive late", env["PYTHONUNBUFFERED"])
			}
			if cmd.Stop != worker.StopChildrenFirst {
				t.Errorf("Stop = %v, want StopChildrenFirst: the main process relays its worker processes' log lines, and their graceful stop takes seconds", cmd.Stop)
			}
			if cmd.OnLine != nil {
				t.Error("OnLine is set although OnEvent is not")
			}
		})
	}
}

// The log lines below are Dramatiq 2.0.0's, as its CLI formats them.
func TestReadyLine(t *testing.T) {
	for line, want := range map[string]bool{
		"[2026-11-27 02:34:56,000] [PID 23458] [MainThread] [dramatiq.WorkerProcess(0)] [INFO] Worker process is ready for action.":     true,
		"[2026-11-27 02:34:56,000] [PID 23457] [MainThread] [dramatiq.MainProcess] [INFO] Dramatiq '2.0.0' is booting up.":              false,
		"[2026-11-27 02:34:56,000] [PID 23459] [MainThread] [dramatiq.ForkProcess(0)] [INFO] Fork process 'app:f' is ready for action.": false,
	} {
		if got := WorkerCommand(WorkerOptions{}).Ready.MatchString(line); got != want {
			t.Errorf("Ready matches %q: %v, want %v", line, got, want)
		}
	}
}

func TestOnEventReadsRetriesFromTheLog(t *testing.T) {
	var got [][2]string
	cmd := WorkerCommand(WorkerOptions{OnEvent: func(name, detail string) { got = append(got, [2]string{name, detail}) }})
	for _, line := range []string{
		"[2026-11-27 02:35:09,001] [PID 23458] [Thread-5] [dramatiq.worker.WorkerThread] [ERROR] Failed to process message raise_holding_async(128) with unhandled exception.",
		"[2026-11-27 02:35:09,002] [PID 23458] [Thread-5] [dramatiq.middleware.retries.Retries] [INFO] Retrying message 'e0f1c2d3-0000-4000-8000-000000000001' in 57 milliseconds.",
		"[2026-11-27 02:35:09,003] [PID 23458] [Thread-5] [dramatiq.middleware.retries.Retries] [WARNING] Retries exceeded for message 'e0f1c2d3-0000-4000-8000-000000000001'.",
		"Retrying message 'x' in soon milliseconds.",
	} {
		cmd.OnLine(line)
	}
	want := [][2]string{
		{EventRetry, "message e0f1c2d3-0000-4000-8000-000000000001, next attempt in 57 ms"},
		{EventDead, "message e0f1c2d3-0000-4000-8000-000000000001 ran out of retries"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

// fakeDramatiq writes packages under a temporary directory that stand in
// for Dramatiq as far as the import check sees: files maps paths to their
// contents.
func fakeDramatiq(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for path, content := range files {
		path = filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestProbeSaysWhatIsMissing(t *testing.T) {
	hidden := fakeDramatiq(t, map[string]string{"dramatiq/__init__.py": "raise ImportError('dramatiq is hidden')\n"})
	noBroker := fakeDramatiq(t, map[string]string{
		"dramatiq/__init__.py":         "__version__ = '9.9.9'\n",
		"dramatiq/brokers/__init__.py": "",
		"dramatiq/brokers/redis.py":    "raise ModuleNotFoundError(\"No module named 'redis'\")\n",
	})
	tests := []struct {
		name, python, path string
		notInstalled       bool
		want               string
	}{
		{"interpreter without Dramatiq", DefaultPython, hidden, true,
			"/usr/bin/python3 cannot import dramatiq (ImportError: dramatiq is hidden): Debian does not package Dramatiq, so install it for that interpreter, or put a checkout of its source (v2.0.0 or later) on PYTHONPATH, or set python.interpreter (LEAKSPEC_PYTHON) to a Python that has it"},
		{"Dramatiq without redis-py", DefaultPython, noBroker, true,
			"/usr/bin/python3 imports dramatiq but not its Redis broker (ModuleNotFoundError: No module named 'redis'): install redis-py for that interpreter (Debian: python3-redis)"},
		{"missing interpreter", "/nonexistent/python3", "", false,
			"check dramatiq: cannot find the Python interpreter /nonexistent/python3; set python.interpreter in ginkgo.yml (or LEAKSPEC_PYTHON)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PYTHONPATH", tt.path)
			_, err := Probe(context.Background(), tt.python, "")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Probe error = %v\nwant one starting %q", err, tt.want)
			}
			if got := errors.Is(err, ErrNotInstalled); got != tt.notInstalled {
				t.Errorf("errors.Is(err, ErrNotInstalled) = %v, want %v: only a missing Dramatiq skips a suite", got, tt.notInstalled)
			}
		})
	}
}

func TestProbeFindsDramatiqOnTheCallersPath(t *testing.T) {
	fake := fakeDramatiq(t, map[string]string{
		"dramatiq/__init__.py":         "__version__ = '9.9.9'\n",
		"dramatiq/brokers/__init__.py": "",
		"dramatiq/brokers/redis.py":    "",
	})
	t.Setenv("PYTHONPATH", fake)
	inst, err := Probe(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if inst.System != "dramatiq" || inst.Version != "9.9.9" || inst.Path != filepath.Join(fake, "dramatiq") {
		t.Errorf("Probe = %+v, want dramatiq 9.9.9 from %s", inst, filepath.Join(fake, "dramatiq"))
	}
	// redis-py, which its broker imports, is named with it.
	if deps := inst.Dependencies; len(deps) != 1 || deps[0].Name != "redis" || filepath.Base(deps[0].Path) != "redis" {
		t.Errorf("Probe's dependencies = %+v, want redis-py alone", deps)
	}
}

func TestStartWorkerSaysWhatIsWrong(t *testing.T) {
	fake := fakeDramatiq(t, map[string]string{
		"dramatiq/__init__.py":         "__version__ = '9.9.9'\n",
		"dramatiq/brokers/__init__.py": "",
		"dramatiq/brokers/redis.py":    "",
		"apps/broken_app.py":           "import os\nBROKER = os.environ['REDIS_URL']\nraise RuntimeError('the app is broken')\n",
	})
	apps := filepath.Join(fake, "apps")
	t.Setenv("PYTHONPATH", fake)
	const url = "redis://127.0.0.1:1/0" // never dialled: the checks fail first
	tests := []struct {
		name string
		opts WorkerOptions
		want string
	}{
		{"no Redis URL", WorkerOptions{Module: "broken_app"}, "start dramatiq worker: RedisURL is empty"},
		{"no module", WorkerOptions{RedisURL: url}, "start dramatiq worker: Module is empty"},
		{"missing module", WorkerOptions{RedisURL: url, Dir: apps, Module: "no_such_app"},
			"start dramatiq worker: check dramatiq: /usr/bin/python3 cannot import the app module no_such_app (ModuleNotFoundError: No module named 'no_such_app'); Dir " + apps + " is first on its PYTHONPATH"},
		// The app sees REDIS_URL during the check, and fails on its own.
		{"broken module", WorkerOptions{RedisURL: url, Dir: apps, Module: "broken_app"},
			"cannot import the app module broken_app (RuntimeError: the app is broken)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.LogPath = filepath.Join(t.TempDir(), "worker.log")
			p, err := StartWorker(context.Background(), tt.opts)
			if p != nil {
				t.Errorf("StartWorker started a worker (pid %d)", p.Pid())
				_ = p.Stop()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("StartWorker error = %v\nwant one containing %q", err, tt.want)
			}
		})
	}
}
