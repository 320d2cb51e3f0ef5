package matchers

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/leakspec/leakspec/internal/bytesize"
	"github.com/leakspec/leakspec/matchers/stats"
)

// finding is what a matcher found in a recording, in words. FailureMessage
// and NegatedFailureMessage both render it through message, so the positive
// and the negated message always tell the same numbers the same way.
type finding struct {
	// passed is the verdict of the positive form.
	passed bool
	// evidence is what the data shows at the confidence it was judged
	// with; an interim look of Decide stops on Within or Beyond.
	evidence stats.Evidence
	// expectation is what the spec expects of memory, as it reads after
	// "to": "plateau within 32.0 MB".
	expectation string
	// outcome says what happened, as it reads after "but": "it did",
	// "it kept growing", "the run was aborted (...)".
	outcome string
	// details are the numbers, one or more clauses without a final period.
	details string
	// chart is the text chart of the series.
	chart string
	// caveat is what the spec's author should know of a recording that
	// passed, in sentences; empty when there is nothing to tell.
	caveat string
	// judgedFrom is where the judged part of the series begins: the end
	// of the warm-up, for the matchers that leave one out.
	judgedFrom time.Duration
}

// message composes the failure message of the positive form or, when
// negated, of the negated form.
func (f finding) message(negated bool) string {
	not := ""
	if negated {
		not = "not "
	}
	return fmt.Sprintf("Expected memory %sto %s, but %s: %s.\n%s", not, f.expectation, f.outcome, f.details, f.chart)
}

// summary words a finding that passed in one sentence without its chart,
// for the message of a Decision.
func (f finding) summary() string {
	return fmt.Sprintf("memory did %s: %s.", f.expectation, f.details)
}

// abortedOutcome words the reason a run was aborted for the "but" clause.
// A final period is dropped, as the reason ends up inside a sentence.
func abortedOutcome(reason string) string {
	return fmt.Sprintf("the run was aborted (%s)", strings.TrimRight(reason, ". "))
}

// mb prints a size in bytes as "166.2 MB".
func mb(bytes float64) string {
	return bytesize.Format(uint64(math.Round(max(bytes, 0))))
}

// signedMB prints a difference in bytes as "+128.0 MB" or "-3.1 MB".
func signedMB(bytes float64) string {
	return bytesize.FormatSigned(int64(math.Round(bytes)))
}

// mbPerMinute prints a rate in bytes per minute as "1002.4 MB/min".
func mbPerMinute(bytesPerMinute float64) string {
	return megabytes(bytesPerMinute) + " MB/min"
}

// count prints n things, as "1 sample" or "3 samples".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// seconds prints a duration as "10.1 s", the unit every message uses.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// percent prints a confidence as "95 %" or "99.9 %".
func percent(confidence float64) string {
	return strconv.FormatFloat(math.Round(confidence*1e4)/1e2, 'f', -1, 64) + " %"
}

// megabytes prints bytes as megabytes with one decimal, and a value that
// rounds to zero as "0.0" rather than "-0.0".
func megabytes(bytes float64) string {
	v := math.Round(bytes/float64(bytesize.MB)*10) / 10
	if v == 0 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// smallSize prints a size that may well be under a megabyte, such as the
// growth per event, as "+65.5 kB" or "+1.2 MB", with its sign when signed.
func smallSize(bytes float64, signed bool) string {
	sign := ""
	if signed && bytes >= 0 {
		sign = "+"
	}
	if math.Abs(bytes) < float64(bytesize.MB) {
		v := math.Round(bytes/float64(bytesize.KB)*10) / 10
		if v == 0 {
			v = 0
		}
		return sign + strconv.FormatFloat(v, 'f', 1, 64) + " kB"
	}
	return sign + megabytes(bytes) + " MB"
}
