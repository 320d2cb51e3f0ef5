package pyproc

import (
	"slices"
	"testing"
)

func TestEnv(t *testing.T) {
	base := []string{"PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"}
	tests := []struct {
		name, dir, inherited string
		want                 []string
	}{
		{"neither", "", "", base},
		{"dir only", "/jobs", "", append(slices.Clone(base), "PYTHONPATH=/jobs")},
		{"caller's only", "", "/src/dramatiq", append(slices.Clone(base), "PYTHONPATH=/src/dramatiq")},
		{"dir ahead of the caller's", "/jobs", "/src/a:/src/b", append(slices.Clone(base), "PYTHONPATH=/jobs:/src/a:/src/b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PYTHONPATH", tt.inherited)
			if got := Env(tt.dir); !slices.Equal(got, tt.want) {
				t.Errorf("Env(%q) with PYTHONPATH=%q = %q, want %q", tt.dir, tt.inherited, got, tt.want)
			}
		})
	}
}
