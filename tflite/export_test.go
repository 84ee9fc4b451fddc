package tflite

// ElidedSignFlips is the number of uint8 convolution pairs that pass their
// activation sign-flipped in m's plan (signFlips), for the tests of
// package tflite_test.
func ElidedSignFlips(m *Model) int {
	out, _ := signFlips(m.plan.sg, m.plan.infos, nil)
	return len(out)
}
