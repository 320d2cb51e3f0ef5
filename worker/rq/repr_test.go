package rq

import (
	"strings"
	"testing"
)

// TestJobHashMatchesPythonRQ checks descriptions against Python itself; this
// table covers what JSON from Go rarely carries.
func TestCallStringPrintsWhatPythonPrints(t *testing.T) {
	tests := []struct {
		name, args, kwargs, want string
	}{
		{"no arguments", `[]`, `{}`, "f.g()"},
		{"int beyond int64", `[123456789012345678901234567890]`, `{}`, "f.g(123456789012345678901234567890)"},
		{"float overflow is inf", `[1E400, -1E400]`, `{}`, "f.g(inf, -inf)"},
		{"negative zero int", `[-0]`, `{}`, "f.g(0)"},
		{"exponent bounds", `[1e-4, 1e-5, 9999999999999998.0, 1e16]`, `{}`, "f.g(0.0001, 1e-05, 9999999999999998.0, 1e+16)"},
		{"unprintable runes", `["\ue000\u0085\udbff\udfff"]`, `{}`, `f.g('\ue000\x85\U0010ffff')`},
		{"backslash", `["a\\b"]`, `{}`, `f.g('a\\b')`},
		{"dict keeps document order", `[{"b": 1, "a": {"c": null}}]`, `{}`, "f.g({'b': 1, 'a': {'c': None}})"},
		{"kwargs sorted by their text", `[]`, `{"b": 1, "a_": 2, "a": 3}`, "f.g(a=3, a_=2, b=1)"},
		{"long argument cut at 75 characters", `["` + strings.Repeat("é", 80) + `"]`, `{}`, "f.g('" + strings.Repeat("é", 74) + "...)"},
		{"long kwarg value cut too", `[]`, `{"k": [` + strings.Repeat("1, ", 30) + `1]}`, "f.g(k=[" + strings.Repeat("1, ", 24) + "1,...)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := callString("f.g", []byte(tt.args), []byte(tt.kwargs))
			if err != nil {
				t.Fatalf("callString: %v", err)
			}
			if got != tt.want {
				t.Errorf("callString(%s, %s)\n got: %s\nwant: %s", tt.args, tt.kwargs, got, tt.want)
			}
		})
	}
}
