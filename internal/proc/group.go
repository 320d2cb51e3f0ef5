package proc

// GroupMembers appends to dst the processes of process group pgid that are
// alive, in one listing of /proc and a stat read per process. Zombies (Z)
// and the dead (X) are not members: they run no code and hold no memory,
// and the orphans among them are init's to reap, not ours.
func (r *Reader) GroupMembers(pgid int, dst []int) ([]int, error) {
	pids, err := r.PIDs(nil)
	if err != nil {
		return dst, err
	}
	for _, pid := range pids {
		stat, err := r.Stat(pid)
		if err != nil {
			continue // it exited while we looked
		}
		if stat.PGRP == pgid && stat.State != 'Z' && stat.State != 'X' {
			dst = append(dst, pid)
		}
	}
	return dst, nil
}
