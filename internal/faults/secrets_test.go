package faults

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakspec/leakspec/internal/leftover"
	"github.com/leakspec/leakspec/internal/redistest"
)

// TestPasswordNeverShows runs the quick specs on two processes against a
// password-protected Redis, given as LEAKSPEC_REDIS_URL with its password,
// and looks for the password everywhere the run writes: its output (verbose,
// so every line the suite logs is there), every file of its reports, worker
// logs included, and the command lines of its processes while they run,
// which any local user can read with ps.
func TestPasswordNeverShows(t *testing.T) {
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	password := "pw-" + hex.EncodeToString(secret)
	url := redistest.Start(t, redistest.WithPassword(password))

	r := newRun(t, "password")
	argv := []string{ginkgoCLI(t), "--no-color", "-v", "--procs=2", "--label-filter=quick", faultsSuite(t)}
	r.start(moduleRoot(t), r.environ("LEAKSPEC_REDIS_URL="+url), argv...)
	seen := watchCommandLines(t, r, password)
	if code := r.wait(); code != 0 {
		t.Fatalf("the run against a password-protected Redis failed:\n%s", r.out())
	}
	r.nothingLeft()
	if n := <-seen; n > 0 {
		t.Errorf("the password was on the command line of %d processes", n)
	}

	if strings.Contains(r.out(), password) {
		t.Errorf("the output shows the password:\n%s", r.out())
	}
	// The URL was printed, masked: the check above looked at the right text.
	if !strings.Contains(r.out(), "uses redis at redis://:***@127.0.0.1:") {
		t.Errorf("the output never names the Redis it used:\n%s", r.out())
	}
	files := 0
	err := filepath.WalkDir(r.reportDir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), password) {
			t.Errorf("%s shows the password", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Errorf("the reports hold %d files; the run wrote less than it should", files)
	}

	// Each process had a database of its own on the shared server.
	dbs := map[string]bool{}
	for _, c := range r.cases("faults") {
		if v := property(c, "redis"); v != "" {
			dbs[v] = true
			if !strings.HasPrefix(v, "redis://:***@127.0.0.1:") {
				t.Errorf("%q used %s", c.Name, v)
			}
		}
	}
	if len(dbs) != 2 {
		t.Errorf("the two specs used the databases %v, want one each", dbs)
	}
}

// watchCommandLines polls the command lines of the run's processes until
// it ends, and sends how many held text.
func watchCommandLines(t *testing.T, r *run, text string) <-chan int {
	seen := make(chan int, 1)
	go func() {
		shown := map[int]bool{}
		for {
			procs, _ := leftover.Processes(r.id, r.cmd.Process.Pid)
			for _, p := range procs {
				if strings.Contains(p.Cmdline, text) {
					shown[p.Pid] = true
				}
			}
			select {
			case <-r.done:
				seen <- len(shown)
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return seen
}
