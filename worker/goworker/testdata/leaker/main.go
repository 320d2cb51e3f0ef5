// Command leaker is a Go worker for goworker's tests: it serves leakspec's
// endpoint and, every -every, keeps -leak more bytes for good.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/leakspec/leakspec/worker/goworker/endpoint"
)

func main() {
	banner := flag.String("banner", "", "a line to print before the announcement, which breaks the protocol")
	leak := flag.Int("leak", 1<<20, "bytes to keep at every tick")
	every := flag.Duration("every", 10*time.Millisecond, "how often to leak")
	flag.Parse()
	if *banner != "" {
		fmt.Fprintln(os.Stderr, *banner)
	}
	if _, err := endpoint.Serve(os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(*every)
	for {
		select {
		case <-tick.C:
			leakOnce(*leak)
		case <-stop:
			return
		}
	}
}

var kept [][]byte

// leakOnce allocates n bytes and keeps them.
func leakOnce(n int) {
	b := make([]byte, n)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	kept = append(kept, b)
}
