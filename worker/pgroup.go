package worker

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"github.com/leakspec/leakspec/internal/proc"
)

// groupExitTimeout bounds how long Stop waits for a killed group to die.
// SIGKILL cannot be caught or ignored; only a process in uninterruptible
// sleep, or one unmapping gigabytes, takes noticeable time.
const groupExitTimeout = 10 * time.Second

// awaitExit blocks until the process pid has exited, without reaping it
// (waitid with WNOWAIT, as os.Process does internally).
func awaitExit(pid int) error {
	const pPID = 1 // P_PID from <sys/wait.h>
	var siginfo [128]byte
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&siginfo)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		switch errno {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		default:
			return errno
		}
	}
}

// signalGroup sends sig to the worker's group unless the leader has exited.
func (p *Process) signalGroup(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.leaderExited {
		// The only possible error, ESRCH, means there is no one left to
		// signal.
		_ = syscall.Kill(-p.pid, sig)
	}
}

// signalLeader sends sig to the worker's leader alone unless it has exited.
func (p *Process) signalLeader(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.leaderExited {
		_ = syscall.Kill(p.pid, sig)
	}
}

// awaitGroupExit waits until no process of group pgid is alive. Zombies
// count as gone: they hold no memory and run no code, and the group's
// orphans are reaped by init, not by us.
func awaitGroupExit(pgid int) error {
	deadline := time.Now().Add(groupExitTimeout)
	for {
		alive, err := groupMembers(pgid)
		if err != nil {
			return fmt.Errorf("list processes of group %d: %w", pgid, err)
		}
		if len(alive) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of group %d are still alive %v after SIGKILL", alive, pgid, groupExitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// groupMembers returns the pids of the live processes in group pgid.
func groupMembers(pgid int) ([]int, error) {
	return proc.NewReader("").GroupMembers(pgid, nil) // the /proc of this machine
}
