package tflite

// RetypedUint8 is the number of uint8 activations retypeUint8 would
// retype to int8 in m's plan (m loaded WithoutFusion, whose plan keeps
// every uint8 type), for the tests of package tflite_test.
func RetypedUint8(m *Model) int {
	retyped, _, _ := retypeUint8(m.plan.sg, m.plan.infos, nil)
	return len(retyped)
}
