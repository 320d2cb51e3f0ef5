package redisenv

import "testing"

func TestMaskURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"},
		{"rediss://default:hunter2@localhost:6380", "rediss://default:***@localhost:6380"},
		{"redis://:hun@ter:2@127.0.0.1", "redis://:***@127.0.0.1"},
		{"redis://:hunter2@127.0.0.1:port/%zz", "redis://:***@127.0.0.1:port/%zz"},
		{"user:hunter2@127.0.0.1", "user:***@127.0.0.1"},
		{"redis://default@127.0.0.1:6379", "redis://default@127.0.0.1:6379"},
		{"redis://127.0.0.1:6379", "redis://127.0.0.1:6379"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskURL(tt.url); got != tt.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}
