// Package selftest_test is leakspec proving itself on a worker whose
// behaviour is known: its positive control leaks on purpose and must be
// caught, its negative control does not and must pass. A failure here is a
// bug in leakspec, not in the worker.
package selftest_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
)

func TestSelftest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "leakspec selftest")
}

var env = fixtures.Setup("selftest")
