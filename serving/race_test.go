//go:build race

package serving

// raceEnabled reports whether the race detector is on; timing assertions
// of the load test are skipped under it.
const raceEnabled = true
