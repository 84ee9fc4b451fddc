package grpcserve_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/edgeinfer/edgeinfer/grpcserve"
	"github.com/edgeinfer/edgeinfer/grpcserve/pb/inference"
	"github.com/edgeinfer/edgeinfer/grpcserve/pb/tensorflow"
	"github.com/edgeinfer/edgeinfer/grpcserve/pb/tfserving"
	"github.com/edgeinfer/edgeinfer/serving"
)

// FuzzInfer sends fuzzed ModelInfer and Predict messages to the real
// server over 127.0.0.1: every answer is a result or a client error,
// never INTERNAL or UNKNOWN (a recovered panic or an unmapped error).
func FuzzInfer(f *testing.F) {
	seeds := []proto.Message{
		&inference.ModelInferRequest{ModelName: "linear", Inputs: []*inference.ModelInferRequest_InferInputTensor{{Name: "x", Datatype: "FP32", Shape: []int64{1, 4},
			Contents: &inference.InferTensorContents{Fp32Contents: []float32{1, 2, 3, 4}}}}},
		&inference.ModelInferRequest{ModelName: "tiny_cnn", Inputs: []*inference.ModelInferRequest_InferInputTensor{{Name: "image", Datatype: "INT8", Shape: []int64{1, 8, 8, 1}}},
			RawInputContents: [][]byte{pattern(64)}},
		&tfserving.PredictRequest{ModelSpec: &tfserving.ModelSpec{Name: "linear"}, Inputs: map[string]*tensorflow.TensorProto{"x": {Dtype: tensorflow.DataType_DT_FLOAT,
			TensorShape: &tensorflow.TensorShapeProto{Dim: []*tensorflow.TensorShapeProto_Dim{{Size: 2}, {Size: 4}}}, FloatVal: []float32{1}}}},
	}
	for i, m := range seeds {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(i < 2, b)
	}
	e := newEnv(f, serving.Config{MaxElements: 1 << 16}, grpcserve.Options{MaxRecvMsgSize: 1 << 20}, nil)
	v2 := inference.NewGRPCInferenceServiceClient(e.conn)
	tf := tfserving.NewPredictionServiceClient(e.conn)
	f.Fuzz(func(t *testing.T, isV2 bool, b []byte) {
		var err error
		if isV2 {
			var req inference.ModelInferRequest
			if proto.Unmarshal(b, &req) != nil {
				return
			}
			_, err = v2.ModelInfer(ctx(t), &req)
		} else {
			var req tfserving.PredictRequest
			if proto.Unmarshal(b, &req) != nil {
				return
			}
			_, err = tf.Predict(ctx(t), &req)
		}
		if c := status.Code(err); c == codes.Internal || c == codes.Unknown {
			t.Fatalf("%v: %v", c, err)
		}
	})
}
