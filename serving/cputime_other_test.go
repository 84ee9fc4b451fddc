//go:build !linux && !darwin

package serving

import "time"

// processCPU reports no CPU time where getrusage is not used.
func processCPU() (time.Duration, bool) { return 0, false }
