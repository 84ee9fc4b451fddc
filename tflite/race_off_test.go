//go:build !race

package tflite_test

// raceEnabled: see race_on_test.go.
const raceEnabled = false
