package conv

import "github.com/edgeinfer/edgeinfer/tflite/op"

// Register adds the convolution-family operators to r.
func Register(r *op.Resolver) {
	r.Add("CONV_2D", PrepareConv2D)
	r.Add("DEPTHWISE_CONV_2D", PrepareDepthwiseConv2D)
	r.Add("TRANSPOSE_CONV", PrepareTransposeConv)
	r.Add("FULLY_CONNECTED", PrepareFullyConnected)
	r.Add("BATCH_MATMUL", PrepareBatchMatMul)
	r.Add("AVERAGE_POOL_2D", PrepareAveragePool2D)
	r.Add("MAX_POOL_2D", PrepareMaxPool2D)
}
