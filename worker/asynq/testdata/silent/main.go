// Command silent serves leakspec's endpoint and never starts an asynq
// server, as a worker on an asynq whose Redis format the adapter cannot
// read looks to it.
package main

import (
	"log"
	"os"
	"time"

	"github.com/leakspec/leakspec/worker/goworker/endpoint"
)

func main() {
	if _, err := endpoint.Serve(os.Stderr); err != nil {
		log.Fatal(err)
	}
	time.Sleep(time.Hour)
}
