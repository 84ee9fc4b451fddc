package serving

import (
	"fmt"
	"slices"
	"sync"
	"weak"

	"github.com/edgeinfer/edgeinfer/tflite"
)

// fileModel is implemented by models backed by a TFLite file.
type fileModel interface {
	tfliteModel() *tflite.Model
}

func (t tfliteModel) tfliteModel() *tflite.Model   { return t.m }
func (r *renamedModel) tfliteModel() *tflite.Model { return r.m }

// ioCache remembers the ModelIO of loaded models without keeping them
// alive: keys are weak, and records of collected models are swept.
type ioCache struct {
	mu sync.Mutex
	m  map[weak.Pointer[tflite.Model]]*ModelIO // guarded by mu
}

// modelIO returns the ModelIO of a loaded model: from its file when it has
// one, else from its specs alone.
func (c *ioCache) modelIO(m Model, labelsTxt func() ([]byte, error)) (*ModelIO, error) {
	fm, ok := m.(fileModel)
	if !ok {
		return NewModelIO(nil, m.Inputs(), m.Outputs(), nil)
	}
	tm := fm.tfliteModel()
	k := weak.Make(tm)
	c.mu.Lock()
	mio := c.m[k]
	c.mu.Unlock()
	if mio != nil && slices.EqualFunc(mio.inputs, m.Inputs(), func(a, b tflite.TensorSpec) bool { return a.Name == b.Name }) {
		return mio, nil
	}
	labels, err := labelsTxt()
	if err != nil {
		return nil, err
	}
	mio, err = NewModelIO(tm.FileBytes(), m.Inputs(), m.Outputs(), labels)
	if err != nil {
		return nil, fmt.Errorf("%w: model metadata: %w", ErrInvalid, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[weak.Pointer[tflite.Model]]*ModelIO{}
	}
	if len(c.m) >= sweepRenamed {
		for k := range c.m {
			if k.Value() == nil {
				delete(c.m, k)
			}
		}
	}
	c.m[k] = mio
	return mio, nil
}
