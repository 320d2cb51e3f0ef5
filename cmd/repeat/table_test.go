package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/leakspec/leakspec/reports"
)

func spec(file, verdict string, peakMB float64) reports.SpecSummary {
	slope := 1.5e6
	return reports.SpecSummary{Name: "the " + file, File: file, State: "passed", Verdict: verdict,
		Figures: &reports.Figures{Peak: uint64(peakMB * 1e6), Growth: uint64((peakMB - 30) * 1e6), Rise: 2e6, Slope: &slope}}
}

func TestTabulateCountsFlipsAndSpread(t *testing.T) {
	obs := []observation{
		{run: 1, mode: "serial", suite: "selftest", spec: spec("keeps", "leak caught: did not plateau within 32.0 MB", 700)},
		{run: 2, mode: "serial", suite: "selftest", spec: spec("keeps", "leak caught: did not plateau within 32.0 MB", 690)},
		{run: 3, mode: "serial", suite: "selftest", spec: spec("keeps", "aborted: the worker's process tree reached 4.3 GB", 4300)},
		{run: 1, mode: "serial", suite: "selftest", spec: spec("drops", "pass", 48)},
		{run: 2, mode: "serial", suite: "selftest", spec: spec("drops", "pass", 50)},
		{run: 3, mode: "serial", suite: "selftest", spec: spec("drops", "pass", 47)},
		{run: 1, mode: "parallel", suite: "selftest", spec: spec("drops", "fail: did not plateau within 32.0 MB", 90)},
		{run: 1, mode: "serial", suite: "asynq", spec: spec("holds", "pass", 20)},
	}
	rows := tabulate(obs)
	if len(rows) != 3 || rows[0].suite != "asynq" || rows[1].name != "the drops" || rows[2].name != "the keeps" {
		t.Fatalf("rows in the wrong order: %+v", rows)
	}
	drops, keeps := rows[1], rows[2]
	if drops.verdict != "pass" || drops.flips != 1 || drops.runs != 4 {
		t.Errorf("drops: verdict %q, %d flips over %d runs; want pass, 1 flip (the parallel fail), 4 runs", drops.verdict, drops.flips, drops.runs)
	}
	if keeps.verdict != "leak caught" || keeps.flips != 1 {
		t.Errorf("keeps: verdict %q, %d flips; want leak caught, 1 (the aborted run)", keeps.verdict, keeps.flips)
	}
	if got := spread(drops.peak); got != "47.0 / 49.0 / 90.0" {
		t.Errorf("spread of the peaks = %q", got)
	}
	if totalFlips(rows) != 2 {
		t.Errorf("total flips %d, want 2", totalFlips(rows))
	}

	var b bytes.Buffer
	writeTable(&b, rows, []string{"serial", "parallel"})
	want := "| selftest | the drops | serial: pass 3; parallel: fail 1 | 1 | 47.0 / 49.0 / 90.0 | 17.0 / 19.0 / 60.0 | 2.0 / 2.0 / 2.0 | 1.5 / 1.5 / 1.5 |"
	if !strings.Contains(b.String(), want+"\n") {
		t.Errorf("the table\n%s\nhas no row\n%s", b.String(), want)
	}
}

func TestSpreadOfNothing(t *testing.T) {
	if got := spread(nil); got != "—" {
		t.Errorf("spread(nil) = %q", got)
	}
}
