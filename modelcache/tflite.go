package modelcache

import (
	"context"

	"github.com/edgeinfer/edgeinfer/tflite"
)

// Models is a cache of TensorFlow Lite models.
type Models = Cache[*tflite.Model]

// TFLiteLoader returns the LoadFunc that parses model bytes with
// tflite.Load(data, opts...) and charges max(m.MemoryBytes(), len(data)).
func TFLiteLoader(opts ...tflite.Option) LoadFunc[*tflite.Model] {
	return func(_ context.Context, _ Key, data []byte) (*tflite.Model, int64, error) {
		m, err := tflite.Load(data, opts...)
		if err != nil {
			return nil, 0, err
		}
		return m, max(m.MemoryBytes(), int64(len(data))), nil
	}
}
