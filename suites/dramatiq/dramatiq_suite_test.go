// Package dramatiq_test is leakspec's reproduction of its origin: a
// Dramatiq 2.0.0 worker on Redis, 1 process and 1 thread, whose async actors
// raised an exception holding 128 MB. The AsyncIO middleware kept every such
// exception alive across retries, so memory grew by about 128 MB per retry;
// upstream fixed it in 5ed4468 ("clear reference to future"). The specs fail
// on a worker with that leak and pass on one without it.
//
// Dramatiq is not packaged by Debian: where the configured interpreter
// cannot import it, every spec is skipped with the reason.
package dramatiq_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
)

func TestDramatiq(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "leakspec dramatiq")
}

var env = fixtures.Setup("dramatiq")
