package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/reports"
	"github.com/leakspec/leakspec/worker/recording"
)

// label is one real recording and what it is known to do.
type label struct {
	file  string
	leak  bool
	about string
}

// readLabels reads <dir>/labels.txt: a line per recording, "<file.csv>
// leak|clean <what it is>", blank lines and # comments ignored.
func readLabels(dir string) ([]label, error) {
	f, err := os.Open(filepath.Join(dir, "labels.txt"))
	if err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	defer f.Close()
	var labels []label
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.SplitN(text, " ", 3)
		if len(fields) < 3 || (fields[1] != "leak" && fields[1] != "clean") {
			return nil, fmt.Errorf("read labels: line %d: want \"<file.csv> leak|clean <what it is>\", got %q", line, text)
		}
		labels = append(labels, label{file: fields[0], leak: fields[1] == "leak", about: strings.TrimSpace(fields[2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	return labels, nil
}

// real prints the verdicts on the recordings kept under the testdata
// directory.
func (b *bench) real(w io.Writer) error {
	labels, err := readLabels(b.cfg.testdata)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "## Real recordings (%s)\n\n", b.cfg.testdata)
	fmt.Fprintf(w, "PlateauWithin is given the README's usual 32 MB here: it holds memory to within its budget of where the load began, and two clean runs settle more than 16 MB above it (the negative control, as glibc keeps one 16 MiB job's memory on its heap after the first job; the cache, 24 MiB by design).\n\n")
	fmt.Fprintf(w, "| recording | leaks | length |")
	for _, s := range realSubjects() {
		fmt.Fprintf(w, " %s |", s.name)
	}
	fmt.Fprintf(w, " GrowLessThanPerEvent(32 kB, job) | ReturnToBaseline(8 MB) | early PlateauWithin(32 MB) |\n|---|---|---|%s---|---|---|\n", strings.Repeat("---|", len(realSubjects())))
	for _, l := range labels {
		rec, err := reports.ReadCSV(filepath.Join(b.cfg.testdata, l.file))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "| %s | %s | %.1f s |", strings.TrimSuffix(l.file, ".csv"), yesNo(l.leak), rec.Duration.Seconds())
		for _, s := range realSubjects() {
			fmt.Fprintf(w, " %s |", words[judge(s.m, rec)])
		}
		perJob := "—"
		if rec.Count("job") > 0 {
			perJob = words[judge(matchers.GrowLessThanPerEvent(32*matchers.KB, "job"), rec)]
		}
		// ReturnToBaseline judges the runs that idled after their load for
		// longer than its decay limit; on the others it could only say
		// "inconclusive".
		back := "—"
		if stop := lastEvent(rec, recording.LoadStop); stop > 0 && rec.Duration-stop > matchers.DefaultDecayLimit {
			back = words[judge(matchers.ReturnToBaseline(8*matchers.MB), rec)]
		}
		d := decide(matchers.PlateauWithin(32*matchers.MB), rec)
		fmt.Fprintf(w, " %s | %s | %s at %.1f s |\n", perJob, back, d.Verdict, d.At.Seconds())
	}
	fmt.Fprintln(w)
	return nil
}

// realSubjects are the subjects with PlateauWithin at the budget of a real
// RQ spec, 32 MB.
func realSubjects() []subject {
	ss := subjects()
	ss[0] = subject{"PlateauWithin(32 MB)", matchers.PlateauWithin(32 * matchers.MB)}
	return ss
}

// lastEvent returns the time of the last event of that name, or 0.
func lastEvent(rec recording.Recording, name string) time.Duration {
	var at time.Duration
	for _, e := range rec.Events {
		if e.Name == name {
			at = e.At
		}
	}
	return at
}
