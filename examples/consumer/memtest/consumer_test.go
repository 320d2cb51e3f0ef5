package memtest_test

import (
	"fmt"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/leakspec/leakspec/matchers"
	"github.com/leakspec/leakspec/worker"
)

var _ = Describe("the order consumer", Label("consumer"), func() {
	It("gives back what it builds for each order", func(ctx SpecContext) {
		// Any command can be recorded: leakspec adds no adapter, only the
		// log file, the ready line, the stop and the recording.
		proc := env.Start(ctx, worker.Command{
			Argv:  []string{env.Config.Python.Interpreter, "consumer.py", "orders"},
			Dir:   apps(),
			Env:   []string{"REDIS_URL=" + env.RedisURL, "PYTHONUNBUFFERED=1"},
			Ready: regexp.MustCompile(`^consumer listening on orders$`),
		})
		run := env.Record(proc)

		const orders = 300
		for i := range orders {
			order := fmt.Sprintf(`{"lines": %d, "unit_cents": 3}`, 4096+i%7)
			Expect(env.RDB.RPush(ctx, "orders", order).Err()).To(Succeed())
			time.Sleep(20 * time.Millisecond)
		}
		Eventually(ctx, func() int64 { return env.RDB.LLen(ctx, "orders.done").Val() }).
			WithPolling(50 * time.Millisecond).Should(BeEquivalentTo(orders))

		env.Judge(run.Finish(), PlateauWithin(32*MB))
	})
})
