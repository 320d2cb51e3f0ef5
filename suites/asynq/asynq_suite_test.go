// Package asynq_test holds the leak specs of Go workers built on asynq
// (github.com/hibiken/asynq). The worker is leakspec's own program,
// fixtures/asynqworker, whose -scenario flag picks the handler; every spec
// judges the worker's live heap, which a Go leak moves at once, and keeps the
// tree's RSS beside it. A failed verdict ends with the functions whose
// allocations grew, from heap profiles taken at the start and the end.
package asynq_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
)

func TestAsynq(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "leakspec asynq")
}

var env = fixtures.Setup("asynq")
