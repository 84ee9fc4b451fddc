//go:build linux || darwin

package serving

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) the process has used
// so far. Benchmarks report CPU per request beside wall-clock figures:
// on a shared machine the wall clock measures the other tenants too.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
