package tflite

// MACs returns the number of multiply-accumulates one Run performs in the
// convolution-like operators (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV,
// MediaPipe's Convolution2DTransposeBias, FULLY_CONNECTED, BATCH_MATMUL) and the matrix products of the sequence
// operators (UNIDIRECTIONAL_SEQUENCE_LSTM's gates, SVDF's feature and time
// filters), the figure GMAC/s rates are quoted in.
func (m *Model) MACs() int64 {
	var n int64
	for i := range m.plan.steps {
		n += m.plan.stepMACs(i)
	}
	return n
}

// stepMACs returns the multiply-accumulates of step i (0 for operators
// that are not convolution-like).
func (p *plan) stepMACs(i int) int64 {
	s := p.steps[i]
	if len(s.outputs) == 0 || len(s.inputs) < 2 || s.inputs[0] < 0 || s.inputs[1] < 0 || s.outputs[0] < 0 {
		return 0
	}
	out := int64(p.infos[s.outputs[0]].Shape.Elements())
	w := p.infos[s.inputs[1]].Shape
	switch s.name {
	case "CONV_2D":
		if len(w) == 4 {
			return out * int64(w[1]*w[2]*w[3])
		}
	case "DEPTHWISE_CONV_2D":
		if len(w) == 4 {
			return out * int64(w[1]*w[2])
		}
	case "FULLY_CONNECTED":
		if len(w) == 2 {
			return out * int64(w[1])
		}
	case "TRANSPOSE_CONV":
		if len(s.inputs) >= 3 && s.inputs[2] >= 0 && len(w) == 4 {
			return int64(p.infos[s.inputs[2]].Shape.Elements()) * int64(w[0]*w[1]*w[2])
		}
	case "CUSTOM:Convolution2DTransposeBias":
		// Every input value times every weight of its output channel's
		// window: input [N,H,W,I], weights [O,KH,KW,I].
		if len(w) == 4 {
			return int64(p.infos[s.inputs[0]].Shape.Elements()) * int64(w[0]*w[1]*w[2])
		}
	case "UNIDIRECTIONAL_SEQUENCE_LSTM":
		// Four gates, each an input and a recurrent product per step:
		// out = [.., .., cell], w = [cell, input].
		if len(w) == 2 {
			return 4 * out * int64(w[1]+w[0])
		}
	case "SVDF":
		// Feature filters [F, I] and time filters [F, M] per batch row.
		if len(s.inputs) >= 3 && s.inputs[2] >= 0 && len(w) == 2 {
			if t := p.infos[s.inputs[2]].Shape; len(t) == 2 {
				rows := int64(p.infos[s.inputs[0]].Shape.Elements() / max(w[1], 1))
				return rows * int64(w[0]) * int64(w[1]+t[1])
			}
		}
	case "BATCH_MATMUL":
		if a := p.infos[s.inputs[0]].Shape; len(a) >= 2 {
			return out * int64(a[len(a)-1])
		}
	}
	return 0
}
