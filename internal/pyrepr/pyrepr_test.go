package pyrepr

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// The wants in these tables are what /usr/bin/python3 (3.11) printed for
// repr(x) and repr(json.loads(s)).

func TestFloat(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{100, "100.0"},
		{1.5, "1.5"},
		{-0.25, "-0.25"},
		{0.0001, "0.0001"},
		{0.00012, "0.00012"},
		{1e-5, "1e-05"},
		{1.2345e-7, "1.2345e-07"},
		{1e15, "1000000000000000.0"},
		{9999999999999998, "9999999999999998.0"},
		{1 << 53, "9007199254740992.0"},
		{1e16, "1e+16"},
		{-1e16, "-1e+16"},
		{1.5e16, "1.5e+16"},
		{1e22, "1e+22"},
		{1e100, "1e+100"},
		{123456789.123, "123456789.123"},
		{0.30000000000000004, "0.30000000000000004"},
		{1.0 / 3, "0.3333333333333333"},
		{1e-323, "1e-323"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		if got := Float(tt.f); got != tt.want {
			t.Errorf("Float(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		n    json.Number
		want string
	}{
		{"1", "1"},
		{"-12", "-12"},
		{"0", "0"},
		{"-0", "0"},
		{"123456789012345678901234567890", "123456789012345678901234567890"},
		{"1.0", "1.0"},
		{"-0.0", "-0.0"},
		{"1e2", "100.0"},
		{"1E2", "100.0"},
		{"1.0e+2", "100.0"},
		{"0e0", "0.0"},
		{"1e-4", "0.0001"},
		{"2.5e-3", "0.0025"},
		{"1E400", "inf"},
		{"-1E400", "-inf"},
		{"1e-400", "0.0"},
		{"-1e-400", "-0.0"},
	}
	for _, tt := range tests {
		got, err := Number(tt.n)
		if err != nil {
			t.Errorf("Number(%s): %v", tt.n, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Number(%s) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestNumberRefusesWhatIsNoNumber(t *testing.T) {
	for _, n := range []json.Number{"", "x", "1.x", "0x10"} {
		if got, err := Number(n); err == nil {
			t.Errorf("Number(%q) = %q, want an error", n, got)
		}
	}
}

// TestFloatMatchesPython compares random floats of every magnitude with
// Python's repr, passing each as its bits so that both sides start from
// the same value.
func TestFloatMatchesPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to compare with")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var floats []float64
	for range 2000 {
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) {
			continue // Python prints every NaN as nan; the table has one
		}
		floats = append(floats, f)
	}
	// Short decimals near the switches to and from scientific notation,
	// which random bits almost never hit.
	for exp := -8; exp <= 20; exp++ {
		for _, digits := range []float64{1, 1.5, 9.999, 9.999999999999998} {
			floats = append(floats, digits*math.Pow10(exp), -digits*math.Pow10(exp))
		}
	}
	var bits []string
	for _, f := range floats {
		bits = append(bits, fmt.Sprint(math.Float64bits(f)))
	}
	cmd := exec.Command(python, "-c", `import struct, sys
for b in sys.stdin.read().split():
    print(repr(struct.unpack("<d", struct.pack("<Q", int(b)))[0]))`)
	cmd.Stdin = strings.NewReader(strings.Join(bits, "\n"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run %s: %v", python, err)
	}
	want := strings.Fields(string(out))
	if len(want) != len(floats) {
		t.Fatalf("Python printed %d reprs for %d floats", len(want), len(floats))
	}
	for i, f := range floats {
		if got := Float(f); got != want[i] {
			t.Errorf("Float(%v) = %q, Python's repr is %q", f, got, want[i])
		}
	}
}
