//go:build race

package tflite_test

// raceEnabled: the race detector slows the engine about tenfold, so the
// heaviest corpus models only load under it.
const raceEnabled = true
