// Package memtest holds the example's leak specs, each keeping a fixed leak
// fixed: on RQ, Celery (one of them across lost broker connections) and
// Dramatiq workers, and on a plain Redis consumer that no queue library
// runs. It is a suite of a module of its own that imports leakspec, as a
// team's repository would.
package memtest_test

import (
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
)

func TestMemtest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "consumer memtest")
}

var env = fixtures.Setup("memtest")

// apps is the module's own folder of scenario apps. Ginkgo runs a suite in
// its package directory, so the path is relative to memtest/.
func apps() string {
	dir, err := filepath.Abs("../apps")
	Expect(err).NotTo(HaveOccurred())
	return dir
}
