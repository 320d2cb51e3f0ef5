package endpoint

import (
	"bytes"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

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
