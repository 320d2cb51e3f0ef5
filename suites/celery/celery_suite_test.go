// Package celery_test runs the origin's scenarios on a real Celery worker,
// on a solo pool and on a prefork pool of two children, and judges them on
// the memory that each pool really holds: RSS for the one solo process,
// summed PSS for the prefork pool, whose summed RSS counts every page the
// children share with their parent once per process.
//
// The positive controls keep every failed task's exception in a task_failure
// handler, the origin's leak written as user code: leakspec must catch it on
// both pools.
package celery_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
)

func TestCelery(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "leakspec celery")
}

var env = fixtures.Setup("celery")
