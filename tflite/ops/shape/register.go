package shape

import "github.com/edgeinfer/edgeinfer/tflite/op"

// Register adds every operator of this package to r.
func Register(r *op.Resolver) {
	r.Add("MEAN", prepareReduce)
	r.Add("SUM", prepareReduce)
	r.Add("REDUCE_MAX", prepareReduce)
	r.Add("REDUCE_MIN", prepareReduce)
	r.Add("ARG_MAX", prepareArgMinMax)
	r.Add("ARG_MIN", prepareArgMinMax)
	r.Add("RESHAPE", prepareReshape)
	r.Add("SQUEEZE", prepareSqueeze)
	r.Add("EXPAND_DIMS", prepareExpandDims)
	r.Add("SHAPE", prepareShape)
	r.Add("TRANSPOSE", prepareTranspose)
	r.Add("CONCATENATION", prepareConcatenation)
	r.Add("PACK", preparePack)
	r.Add("UNPACK", prepareUnpack)
	r.Add("SPLIT", prepareSplit)
	r.Add("SPLIT_V", prepareSplitV)
	r.Add("SLICE", prepareSlice)
	r.Add("STRIDED_SLICE", prepareStridedSlice)
	r.Add("PAD", preparePad)
	r.Add("PADV2", preparePad)
	r.Add("GATHER", prepareGather)
	r.Add("RESIZE_BILINEAR", prepareResize)
	r.Add("RESIZE_NEAREST_NEIGHBOR", prepareResize)
}
