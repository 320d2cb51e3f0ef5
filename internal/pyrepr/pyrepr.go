// Package pyrepr writes numbers as Python's repr writes them.
//
// The Python worker adapters have to write the exact text Python's own
// producers write: RQ's job description ("jobs.add(1, 0.5)") and Celery's
// argsrepr and kwargsrepr headers are built from repr, the workers log them
// for every job, and a spec that compares a Go-enqueued job with a
// Python-enqueued one must not see "1e-05" on one side and "1e-5" on the
// other. Each adapter quotes strings its own way (RQ with repr, Celery with
// saferepr's cut-short _format_chars), so only numbers are shared here.
package pyrepr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Number returns Python's repr of what json.loads makes of the JSON number
// n: an int of any size when the literal has no fraction or exponent,
// otherwise a float. A float literal beyond float64 is inf or -inf, as it
// is to Python. The error reports text that is not a number at all, which a
// json.Decoder never yields.
func Number(n json.Number) (string, error) {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		i, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return "", fmt.Errorf("number %q is not an integer", s)
		}
		return i.String(), nil // "-0" is the int 0 to Python
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return "", fmt.Errorf("number %q: %w", s, err)
	}
	return Float(f), nil
}

// Float returns Python's repr of f: the shortest digits that read back as
// f, positional with at least one decimal when the decimal exponent is from
// -4 to 15, scientific with a signed exponent of at least two digits
// otherwise; "inf", "-inf" and "nan" for the values that are no number.
func Float(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, err := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if err != nil {
		panic("strconv wrote an exponent it cannot read: " + sci)
	}
	if exp < -4 || exp >= 16 {
		return sci // Go's 'e' format is Python's here: 1e-05, 1.5e+16
	}
	fixed := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(fixed, ".") {
		fixed += ".0"
	}
	return fixed
}
