package examples

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite/op"
	"github.com/edgeinfer/edgeinfer/tflite/tflitebuild"
)

// Config is the content of a model's config.json as the examples write it:
// a subset of the fields modelcache.ParseConfig accepts, in a fixed order.
type Config struct {
	MaxBatchSize   int  `json:"max_batch_size"`
	BatchDelayMS   int  `json:"batch_delay_ms"`
	MaxConcurrency int  `json:"max_concurrency"`
	MaxQueue       int  `json:"max_queue"`
	TimeoutMS      int  `json:"timeout_ms"`
	Preload        bool `json:"preload"`
}

// Model is one example model: where it goes in the repository and its bytes.
type Model struct {
	Name    string // directory name under the repository root
	Version int64  // version directory under the model directory
	Summary string // one line for humans
	TFLite  []byte // model.tflite
	Config  Config // config.json
}

// Names of the example models.
const (
	Linear  = "linear"
	TinyCNN = "tiny_cnn"
)

// Models builds every example model in memory. The result is the same on
// every call.
func Models() ([]Model, error) {
	lin, err := linear()
	if err != nil {
		return nil, fmt.Errorf("examples: %s: %w", Linear, err)
	}
	cnn, err := tinyCNN()
	if err != nil {
		return nil, fmt.Errorf("examples: %s: %w", TinyCNN, err)
	}
	return []Model{
		{
			Name: Linear, Version: 1, TFLite: lin,
			Summary: "float32 y = 2x + 1, input x [-1,4], output y [-1,4]",
			Config:  Config{MaxConcurrency: 4, MaxQueue: 64, TimeoutMS: 1000, Preload: true},
		},
		{
			Name: TinyCNN, Version: 1, TFLite: cnn,
			Summary: "int8 8x8 grayscale classifier: CONV_2D → AVERAGE_POOL_2D → FULLY_CONNECTED → SOFTMAX, input image [-1,8,8,1], output probabilities [-1,3]",
			Config:  Config{MaxBatchSize: 16, BatchDelayMS: 2, MaxConcurrency: 4, MaxQueue: 256, TimeoutMS: 2000, Preload: true},
		},
	}, nil
}

// ConfigJSON returns the config.json bytes of m: one field per line, in a
// fixed order, ending in a newline.
func (m Model) ConfigJSON() []byte {
	c := m.Config
	return fmt.Appendf(nil, "{\n  \"max_batch_size\": %d,\n  \"batch_delay_ms\": %d,\n  \"max_concurrency\": %d,\n  \"max_queue\": %d,\n  \"timeout_ms\": %d,\n  \"preload\": %t\n}\n",
		c.MaxBatchSize, c.BatchDelayMS, c.MaxConcurrency, c.MaxQueue, c.TimeoutMS, c.Preload)
}

// Write writes the example model repository under dir:
//
//	<dir>/<model>/<version>/model.tflite
//	<dir>/<model>/config.json
//
// It creates dir when needed and is idempotent: running it again rewrites
// the same bytes (each file is replaced atomically, so a server reading the
// repository never sees a partial file). Other files under dir are left
// alone.
func Write(dir string) error {
	if dir == "" {
		return errors.New("examples: empty output directory")
	}
	models, err := Models()
	if err != nil {
		return err
	}
	for _, m := range models {
		vdir := filepath.Join(dir, m.Name, strconv.FormatInt(m.Version, 10))
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			return fmt.Errorf("examples: %w", err)
		}
		if err := writeFile(filepath.Join(vdir, "model.tflite"), m.TFLite); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, m.Name, "config.json"), m.ConfigJSON()); err != nil {
			return err
		}
	}
	return nil
}

// writeFile replaces path with data atomically, and does nothing when path
// already holds exactly data.
func writeFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("examples: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("examples: writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("examples: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("examples: %w", err)
	}
	return nil
}

// linear is y = 2x + 1 elementwise on 4 values: one float32
// FULLY_CONNECTED with weights 2·I and bias 1, batch dimension dynamic.
func linear() ([]byte, error) {
	b := tflitebuild.New()
	b.Description("edgeinfer example: linear, y = 2x + 1")
	x := b.Tensor("x", tensor.Float32, []int{1, 4}, nil, nil)
	b.ShapeSignature(x, []int{-1, 4})
	w := make([]float32, 16)
	for i := range 4 {
		w[i*4+i] = 2
	}
	wt := b.Const("weights", []int{4, 4}, nil, w)
	bt := b.Const("bias", []int{4}, nil, []float32{1, 1, 1, 1})
	y := b.Tensor("y", tensor.Float32, []int{1, 4}, nil, nil)
	b.ShapeSignature(y, []int{-1, 4})
	b.Op("FULLY_CONNECTED", []int{x, wt, bt}, []int{y}, &op.FullyConnectedOptions{})
	b.Inputs(x)
	b.Outputs(y)
	b.Signature("serving_default", []string{"x"}, []string{"y"})
	return b.Bytes()
}

// Quantization of tiny_cnn. The input maps int8 q to q/128 (real [-1, 1)).
const (
	cnnInScale   = 1.0 / 128
	cnnConvScale = 9.0 / 255 // conv output after RELU: real [0, 9]
	cnnConvZP    = -128
	cnnFCScale   = 0.25 // logits: real [-32, 31.75]
)

// tinyCNN is an int8 classifier of 8x8 grayscale images into three classes
// (0: dark, 1: bright, 2: textured), with hand-set weights: four 3x3
// filters (horizontal edges, vertical edges, a Laplacian and a brightness
// box) with RELU, a global average pool, a 4→3 fully connected layer, and
// a softmax. Batch dimension dynamic.
func tinyCNN() ([]byte, error) {
	b := tflitebuild.New()
	b.Description("edgeinfer example: tiny_cnn, int8 8x8 grayscale → 3 classes")
	inQ := &tensor.Quant{Scale: []float32{cnnInScale}, ZeroPoint: []int64{0}}
	convQ := &tensor.Quant{Scale: []float32{cnnConvScale}, ZeroPoint: []int64{cnnConvZP}}

	img := b.Tensor("image", tensor.Int8, []int{1, 8, 8, 1}, inQ, nil)
	b.ShapeSignature(img, []int{-1, 8, 8, 1})

	// Filters [out=4, 3, 3, in=1], per-channel symmetric, each scaled so
	// that 64 stands for 1.0.
	filters := []int8{
		-64, -64, -64, 0, 0, 0, 64, 64, 64, // horizontal edge
		-64, 0, 64, -64, 0, 64, -64, 0, 64, // vertical edge
		-16, -16, -16, -16, 127, -16, -16, -16, -16, // Laplacian
		14, 14, 14, 14, 14, 14, 14, 14, 14, // brightness box
	}
	fScale := []float32{1.0 / 64, 1.0 / 64, 1.0 / 64, 1.0 / 64}
	fq := &tensor.Quant{Scale: fScale, ZeroPoint: []int64{0, 0, 0, 0}, Axis: 0}
	ft := b.Const("conv/filter", []int{4, 3, 3, 1}, fq, filters)
	biasReal := []float64{0, 0, 0, 0.5}
	bq := &tensor.Quant{ZeroPoint: []int64{0, 0, 0, 0}, Axis: 0}
	bias := make([]int32, 4)
	for c := range bias {
		s := float64(cnnInScale) * float64(fScale[c])
		bq.Scale = append(bq.Scale, float32(s))
		bias[c] = int32(math.Round(biasReal[c] / s))
	}
	bt := b.Const("conv/bias", []int{4}, bq, bias)
	conv := b.Tensor("conv", tensor.Int8, []int{1, 8, 8, 4}, convQ, nil)
	b.ShapeSignature(conv, []int{-1, 8, 8, 4})
	b.Op("CONV_2D", []int{img, ft, bt}, []int{conv}, &op.Conv2DOptions{
		Padding: op.PaddingSame, StrideW: 1, StrideH: 1, Activation: op.ActRelu, DilationW: 1, DilationH: 1,
	})

	pool := b.Tensor("pool", tensor.Int8, []int{1, 1, 1, 4}, convQ, nil)
	b.ShapeSignature(pool, []int{-1, 1, 1, 4})
	b.Op("AVERAGE_POOL_2D", []int{conv}, []int{pool}, &op.Pool2DOptions{
		Padding: op.PaddingValid, StrideW: 1, StrideH: 1, FilterWidth: 8, FilterHeight: 8,
	})

	// Fully connected 4 → 3, per-tensor symmetric weights (64 = 1.0).
	// dark: -brightness; bright: +brightness; textured: edges + Laplacian.
	fcW := []int8{
		0, 0, 0, -64,
		0, 0, 0, 64,
		64, 64, 127, 0,
	}
	const fcWScale = 1.0 / 64
	fcBiasReal := []float64{1, -1, -0.5}
	fcBias := make([]int32, 3)
	fcBS := float64(cnnConvScale) * fcWScale
	for i := range fcBias {
		fcBias[i] = int32(math.Round(fcBiasReal[i] / fcBS))
	}
	wt := b.Const("fc/weights", []int{3, 4}, &tensor.Quant{Scale: []float32{fcWScale}, ZeroPoint: []int64{0}}, fcW)
	fbt := b.Const("fc/bias", []int{3}, &tensor.Quant{Scale: []float32{float32(fcBS)}, ZeroPoint: []int64{0}}, fcBias)
	logits := b.Tensor("logits", tensor.Int8, []int{1, 3}, &tensor.Quant{Scale: []float32{cnnFCScale}, ZeroPoint: []int64{0}}, nil)
	b.ShapeSignature(logits, []int{-1, 3})
	b.Op("FULLY_CONNECTED", []int{pool, wt, fbt}, []int{logits}, &op.FullyConnectedOptions{})

	probs := b.Tensor("probabilities", tensor.Int8, []int{1, 3}, &tensor.Quant{Scale: []float32{1.0 / 256}, ZeroPoint: []int64{-128}}, nil)
	b.ShapeSignature(probs, []int{-1, 3})
	b.Op("SOFTMAX", []int{logits}, []int{probs}, &op.SoftmaxOptions{Beta: 1})

	b.Inputs(img)
	b.Outputs(probs)
	b.Signature("serving_default", []string{"image"}, []string{"probabilities"})
	return b.Bytes()
}
