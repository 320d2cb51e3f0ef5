package cgroup

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Memory is what the kernel charges to a cgroup, in bytes.
type Memory struct {
	// Current is memory.current: everything charged to the group, its
	// processes' anonymous memory, the page cache of the files they read
	// and wrote, and the kernel's own memory for them.
	Current uint64
	// Anon, File and Kernel are the lines of memory.stat with those
	// names. Anon is close to the processes' private resident memory, each
	// page counted once however many processes share it; File is page
	// cache, which the kernel reclaims under pressure and which stays
	// charged after the file is closed; Kernel is slab, stacks and page
	// tables (the "kernel" line, Linux 5.18; before it, the sum of
	// kernel_stack, pagetables, percpu, sock and slab).
	Anon, File, Kernel uint64
}

// Memory reads memory.current and memory.stat. It fails, with MemoryErr's
// reason, for a group without memory counters.
func (g *Group) Memory() (Memory, error) {
	if g.memoryErr != nil {
		return Memory{}, fmt.Errorf("read cgroup memory: %w", g.memoryErr)
	}
	current, err := os.ReadFile(filepath.Join(g.path, "memory.current"))
	if err != nil {
		return Memory{}, fmt.Errorf("read cgroup memory: %w", err)
	}
	stat, err := os.ReadFile(filepath.Join(g.path, "memory.stat"))
	if err != nil {
		return Memory{}, fmt.Errorf("read cgroup memory: %w", err)
	}
	m, err := parseMemoryStat(stat)
	if err != nil {
		return Memory{}, fmt.Errorf("read cgroup memory: %s: %w", g.path, err)
	}
	if m.Current, err = strconv.ParseUint(string(bytes.TrimSpace(current)), 10, 64); err != nil {
		return Memory{}, fmt.Errorf("read cgroup memory: memory.current: %w", err)
	}
	return m, nil
}

// parseMemoryStat reads anon, file and kernel out of memory.stat, lines of
// "name bytes".
func parseMemoryStat(b []byte) (Memory, error) {
	var m Memory
	var oldKernel uint64
	seen := map[string]bool{}
	for line := range bytes.Lines(b) {
		name, value, ok := bytes.Cut(bytes.TrimSpace(line), []byte(" "))
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(string(value), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("memory.stat line %q: %w", line, err)
		}
		switch string(name) {
		case "anon":
			m.Anon = n
		case "file":
			m.File = n
		case "kernel":
			m.Kernel = n
		case "kernel_stack", "pagetables", "percpu", "sock", "slab":
			oldKernel += n
		default:
			continue
		}
		seen[string(name)] = true
	}
	if !seen["anon"] || !seen["file"] {
		return Memory{}, fmt.Errorf("memory.stat has no anon or no file line")
	}
	if !seen["kernel"] {
		m.Kernel = oldKernel
	}
	return m, nil
}
