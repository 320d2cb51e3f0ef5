// Command-free recipe: the Ginkgo suite that recorded the 60 s series of
// this directory. Go ignores testdata, so it is kept here as it ran; to
// record again, copy it and record_jobs.py into a directory under suites/,
// point Dir at that directory and run go tool ginkgo on it (about 7 min).
package zzrecord_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakspec/leakspec/fixtures"
	"github.com/leakspec/leakspec/worker/recording"
	"github.com/leakspec/leakspec/worker/rq"
)

func TestRecord(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "record")
}

var env = fixtures.Setup("zzrecord")

type scenario struct {
	idleBefore, load, idleAfter, every time.Duration
	fn                                 string
	args                               []any
	forking                            bool
}

func play(ctx SpecContext, s scenario) {
	proc := env.StartRQ(ctx, rq.WorkerOptions{Queues: []string{"rec"}, Imports: []string{"record_jobs"}, Dir: "/path/to/record_jobs", Forking: s.forking})
	queue := env.RQQueue("rec")
	run := env.Record(proc)
	time.Sleep(s.idleBefore)
	run.Recorder.Event(recording.LoadStart, "")
	n := 0
	start := time.Now()
	for time.Since(start) < s.load {
		_, err := queue.Enqueue(ctx, rq.Job{Func: "record_jobs." + s.fn, Args: s.args})
		Expect(err).NotTo(HaveOccurred())
		run.Recorder.Event("job", "")
		n++
		time.Sleep(s.every)
	}
	p, err := queue.WaitFinished(ctx, n, 50*time.Millisecond)
	Expect(err).NotTo(HaveOccurred())
	Expect(p.Failed).To(BeZero())
	run.Recorder.Event(recording.LoadStop, "")
	time.Sleep(s.idleAfter)
	run.Finish()
}

var _ = Describe("rq", func() {
	It("drops 16 MiB per job for a minute", func(ctx SpecContext) {
		play(ctx, scenario{2 * time.Second, 60 * time.Second, 0, 250 * time.Millisecond, "drop_mib", []any{16}, false})
	}, SpecTimeout(3*time.Minute))
	It("keeps 64 KiB per job at 8 jobs a second for a minute", func(ctx SpecContext) {
		play(ctx, scenario{2 * time.Second, 60 * time.Second, 0, 125 * time.Millisecond, "keep_kib", []any{64}, false})
	}, SpecTimeout(3*time.Minute))
	It("fills a bounded cache of 48 entries of 512 KiB for a minute", func(ctx SpecContext) {
		play(ctx, scenario{2 * time.Second, 60 * time.Second, 0, 100 * time.Millisecond, "cache_put", []any{512, 48}, false})
	}, SpecTimeout(3*time.Minute))
	It("forks a horse per job that allocates 16 MiB, for a minute", func(ctx SpecContext) {
		play(ctx, scenario{2 * time.Second, 60 * time.Second, 0, 250 * time.Millisecond, "drop_mib", []any{16}, true})
	}, SpecTimeout(3*time.Minute))
	It("leaves 4 MiB cycles that are collected every 16th job", func(ctx SpecContext) {
		play(ctx, scenario{2 * time.Second, 60 * time.Second, 0, 250 * time.Millisecond, "cyclic_mib", []any{4, 16}, false})
	}, SpecTimeout(3*time.Minute))
	It("allocates 64 MiB per job for 20 s and returns to its baseline", func(ctx SpecContext) {
		play(ctx, scenario{5 * time.Second, 20 * time.Second, 15 * time.Second, 500 * time.Millisecond, "drop_mib", []any{64}, false})
	}, SpecTimeout(3*time.Minute))
	It("keeps 1 MiB per job for 20 s and stays up", func(ctx SpecContext) {
		play(ctx, scenario{5 * time.Second, 20 * time.Second, 15 * time.Second, 250 * time.Millisecond, "keep_kib", []any{1024}, false})
	}, SpecTimeout(3*time.Minute))
})
