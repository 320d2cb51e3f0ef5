package worker

import (
	"reflect"
	"testing"
)

func TestInstallationString(t *testing.T) {
	celery := Installation{System: "celery", Version: "5.2.6", Path: "/usr/lib/python3/dist-packages/celery"}
	kombu := Package{Name: "kombu", Version: "5.2.2", Path: "/tmp/kombu-5.2.2/kombu"}
	redis := Package{Name: "redis", Version: "4.3.4", Path: "/usr/lib/python3/dist-packages/redis"}
	billiard := Package{Name: "billiard", Version: "4.1.0", Path: "/usr/lib/python3/dist-packages/billiard"}
	for _, tt := range []struct {
		deps []Package
		want string
	}{
		{nil, "celery 5.2.6 from /usr/lib/python3/dist-packages/celery"},
		{[]Package{redis}, "celery 5.2.6 from /usr/lib/python3/dist-packages/celery, with redis 4.3.4 from /usr/lib/python3/dist-packages/redis"},
		{[]Package{kombu, billiard, redis}, "celery 5.2.6 from /usr/lib/python3/dist-packages/celery, with kombu 5.2.2 from /tmp/kombu-5.2.2/kombu, billiard 4.1.0 from /usr/lib/python3/dist-packages/billiard and redis 4.3.4 from /usr/lib/python3/dist-packages/redis"},
	} {
		inst := celery
		inst.Dependencies = tt.deps
		if got := inst.String(); got != tt.want {
			t.Errorf("String() =\n%q\nwant\n%q", got, tt.want)
		}
	}
	if got := (Installation{}).String(); got != "" {
		t.Errorf("the zero Installation says %q, want nothing", got)
	}
}

func TestPythonInstallation(t *testing.T) {
	lines := []string{
		"a module's own output",
		"leakspec-package\tcelery\t5.2.6\t/usr/lib/python3/dist-packages/celery",
		"leakspec-package\tkombu\t5.2.2\t/tmp/kombu 5.2.2/kombu",
		"leakspec-package\tredis\t4.3.4\t/usr/lib/python3/dist-packages/redis",
	}
	got, ok := PythonInstallation("celery", lines)
	want := Installation{
		System: "celery", Version: "5.2.6", Path: "/usr/lib/python3/dist-packages/celery",
		Dependencies: []Package{
			{Name: "kombu", Version: "5.2.2", Path: "/tmp/kombu 5.2.2/kombu"},
			{Name: "redis", Version: "4.3.4", Path: "/usr/lib/python3/dist-packages/redis"},
		},
	}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("PythonInstallation = %+v, %t; want %+v, true", got, ok, want)
	}
	// Without the system's own line, nothing is known of it.
	if got, ok := PythonInstallation("rq", lines); ok || !reflect.DeepEqual(got, Installation{}) {
		t.Errorf("PythonInstallation of a system not named = %+v, %t; want the zero Installation, false", got, ok)
	}
}
