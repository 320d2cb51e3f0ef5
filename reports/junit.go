package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// WriteJUnit writes the suite's report as JUnit XML to path, one testcase
// per spec. It uses Ginkgo's own JUnit reporter, which the usual consumers
// (GitHub Actions and GitLab reporters, Jenkins) already read. Each spec's
// report entries become testcase properties.
//
// Suite setup nodes (BeforeSuite, AfterSuite, ...) that passed are left out,
// so the testcases are exactly the specs; one that failed is kept, because
// its specs are then merely skipped and CI must still see why the run failed.
func WriteJUnit(path string, report types.Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	report.SpecReports = slices.DeleteFunc(slices.Clone(report.SpecReports), func(s types.SpecReport) bool {
		return s.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) && !s.Failed()
	})
	err := reporters.GenerateJUnitReportWithConfig(report, path, reporters.JunitReportConfig{
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped | types.SpecStatePending,
	})
	if err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}
