// Package faults_test is a suite of leak specs that meet faults on purpose:
// workers that die, ignore SIGTERM or never start, a Redis that goes away, a
// memory ceiling, a spec timeout. The tests in internal/faults run it as a
// subprocess, inject the faults from outside where a real one would come
// from outside, and check that every run fails with a clear reason, writes
// its reports and leaves nothing behind. It lives under testdata so that
// neither `go test ./...` nor `go tool ginkgo ./suites/...` runs it on its
// own; the tests pick its specs by label.
package faults_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
)

func TestFaults(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "leakspec faults")
}

var env = fixtures.Setup("faults")

// announce tells the test that drives the suite that a spec has reached the
// point where a fault is to be injected, by writing pid (usually the
// worker's) to $LEAKSPEC_FAULT_DIR/<name>.pid. Without that variable the
// suite runs on its own and announces nothing.
func announce(name string, pid int) {
	dir := os.Getenv("LEAKSPEC_FAULT_DIR")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, name+".pid")
	// Written whole, then renamed, so the test never reads half a number.
	Expect(os.WriteFile(path+".tmp", []byte(strconv.Itoa(pid)), 0o644)).To(Succeed())
	Expect(os.Rename(path+".tmp", path)).To(Succeed())
}
