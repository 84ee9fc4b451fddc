package sequence

import "github.com/edgeinfer/edgeinfer/tflite/op"

// Register adds every operator of this package to r.
func Register(r *op.Resolver) {
	r.Add("UNIDIRECTIONAL_SEQUENCE_LSTM", prepareUnidirectionalLSTM)
	r.Add("SVDF", prepareSVDF)
	r.Add("BIDIRECTIONAL_SEQUENCE_LSTM", prepareBidirectionalLSTM)
	r.Add("UNIDIRECTIONAL_SEQUENCE_RNN", prepareRNN)
}
