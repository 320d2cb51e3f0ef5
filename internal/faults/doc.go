// Package faults holds leakspec's fault, bad-input and interrupt tests: they
// run suites as a user or a CI machine would, as subprocesses, break them on
// purpose (a worker SIGKILLed or ignoring SIGTERM, a crash loop, Redis
// stopped, the memory ceiling, a spec timeout, Ctrl-C, a dead Ginkgo CLI, a
// bad configuration), and check that every run fails with one clear reason,
// still writes its reports, and leaves no process and no container behind
// (see internal/leftover). The suite they break is testdata/suite; the
// interrupt test also runs every suite under suites/.
//
// The package has no code of its own; its tests are its content.
package faults
