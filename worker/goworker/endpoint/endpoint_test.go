package endpoint

import (
	"bytes"
	"encoding/json"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestThePackageIsOneFileOfTheStandardLibrary keeps the copy that
// docs/go-workers.md offers a worker pinned to older libraries whole: the
// package must stay one file that imports the standard library only.
func TestThePackageIsOneFileOfTheStandardLibrary(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		names = append(names, name)
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s, which is not in the standard library", name, path)
			}
		}
	}
	if len(names) != 1 || names[0] != "endpoint.go" {
		t.Errorf("the package has the files %v, want endpoint.go alone", names)
	}
}

func TestServeAnnouncesALoopbackEndpointThatServesTheMetrics(t *testing.T) {
	var out bytes.Buffer
	addr, err := Serve(&out)
	if err != nil {
		t.Fatal(err)
	}
	line := out.String()
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("Serve printed %q, want one line", line)
	}
	url, ok := ParseAnnouncement(line)
	if !ok || url != "http://"+addr {
		t.Fatalf("ParseAnnouncement(%q) = %q, %t; want http://%s", line, url, ok, addr)
	}

	// The live heap is known once a collection has marked it.
	runtime.GC()
	resp, err := http.Get(url + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]uint64
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	for _, name := range Metrics {
		if _, ok := m[name]; !ok {
			t.Errorf("the metrics lack %s: %v", name, m)
		}
	}
	if m[HeapLive] == 0 || m[GCCycles] == 0 {
		t.Errorf("after a collection, the live heap or the count of collections is 0: %v", m)
	}

	heap, err := http.Get(url + ProfilePath)
	if err != nil {
		t.Fatal(err)
	}
	heap.Body.Close()
	if heap.StatusCode != http.StatusOK {
		t.Errorf("%s answered %s", ProfilePath, heap.Status)
	}
}

func TestParseAnnouncementTakesOnlyLoopbackAnnouncements(t *testing.T) {
	for _, line := range []string{
		"",
		"asynq: pid=1 INFO: Starting processing",
		"leakspec endpoint: http://10.0.0.1:8080",
		"leakspec endpoint: http://localhost:8080",
	} {
		if url, ok := ParseAnnouncement(line); ok {
			t.Errorf("ParseAnnouncement(%q) = %q, want no endpoint", line, url)
		}
	}
	if url, ok := ParseAnnouncement(Announcement("127.0.0.1:41234") + "\r"); !ok || url != "http://127.0.0.1:41234" {
		t.Errorf("ParseAnnouncement of an announcement = %q, %t", url, ok)
	}
}
