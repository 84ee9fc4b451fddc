package serving

import (
	"context"
	"time"

	"github.com/edgeinfer/edgeinfer/preprocess"
	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// Model is what the serving core needs of a loaded model. *tflite.Model
// satisfies it through FromTFLite; tests may supply their own. A Model must
// be immutable, safe for concurrent use and comparable with == (a pointer,
// or a struct of pointers): workers compare Models to reuse their Runners
// and to batch only requests for the same loaded model.
type Model interface {
	// Inputs returns the input specs in signature order; Shape[0] is -1
	// when the batch dimension is dynamic.
	Inputs() []tflite.TensorSpec
	// Outputs returns the output specs in signature order.
	Outputs() []tflite.TensorSpec
	// Batchable reports whether WithBatch may change the leading dimension
	// of every input.
	Batchable() bool
	// WithBatch returns the model planned for batch size n.
	WithBatch(n int) (Model, error)
	// NewRunner returns a Runner for one goroutine.
	NewRunner() Runner
}

// Runner executes a Model; one per goroutine. The outputs of Run are owned
// by the Runner until its next Run.
type Runner interface {
	Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
	// CurrentOp returns the index and name of the operator running now, or
	// (-1, "") when idle. Safe to call from any goroutine.
	CurrentOp() (int, string)
}

// threadedRunner is what a Runner implements to run one inference on
// several threads (*tflite.Runner does): the Server sizes its pool once
// (SetThreads) and picks per run how many of them to use
// (SetActiveThreads); Close stops the pool when the Server drops it.
type threadedRunner interface {
	SetThreads(n int)
	SetActiveThreads(n int)
	Close()
}

// FromTFLite adapts a loaded TFLite model to Model.
func FromTFLite(m *tflite.Model) Model { return tfliteModel{m} }

type tfliteModel struct{ m *tflite.Model }

func (t tfliteModel) Inputs() []tflite.TensorSpec  { return t.m.Inputs() }
func (t tfliteModel) Outputs() []tflite.TensorSpec { return t.m.Outputs() }
func (t tfliteModel) Batchable() bool              { return t.m.Batchable() }
func (t tfliteModel) NewRunner() Runner            { return t.m.NewRunner() }
func (t tfliteModel) WithBatch(n int) (Model, error) {
	b, err := t.m.WithBatch(n)
	if err != nil {
		return nil, err
	}
	return tfliteModel{b}, nil
}

// Ref names a model and optionally a version or a label. With neither, it
// names the model's latest served version.
type Ref struct {
	Model   string
	Version int64  // > 0 for a specific version
	Label   string // a version label, "" for none
}

// ModelConfig is the serving configuration of one model, as read from its
// config.json. Zero fields take the Server's defaults.
type ModelConfig struct {
	// MaxBatchSize is the most items one batched run takes; 0 or 1 turns
	// dynamic batching off. Ignored for models that are not Batchable.
	MaxBatchSize int
	// BatchDelay is the longest a batch waits for more requests after its
	// first one was dequeued, whether or not others are in flight; it is
	// cut so that no request waits more than half of its remaining time.
	BatchDelay time.Duration
	// MaxConcurrency is the number of runs in flight at once.
	MaxConcurrency int
	// MaxQueue is the number of requests that may wait for a run; more are
	// refused with ErrOverloaded.
	MaxQueue int
	// Timeout is the deadline of requests that give none.
	Timeout time.Duration
	// Labels maps version labels to versions.
	Labels map[string]int64
	// Image overrides how images are fed to the model's image input
	// (normalization, fit, layout); nil keeps its metadata's or the
	// defaults (see package preprocess).
	Image *preprocess.Override
}

// Loaded is a model resolved and pinned by a ModelSource. The pin holds
// until Release; the Model must not be used afterwards.
type Loaded struct {
	Name    string
	Version int64
	Model   Model
	Config  ModelConfig
	// Release unpins the model. It must be called exactly once.
	Release func()
}

// VersionStatus describes one version of a model for status endpoints.
type VersionStatus struct {
	Version int64
	// State is one of "READY", "LOADING", "UNAVAILABLE" (as in TensorFlow
	// Serving and the V2 repository index).
	State  string
	Reason string
}

// ModelStatus describes a model of the repository.
type ModelStatus struct {
	Name     string
	Versions []VersionStatus
	Config   ModelConfig
	// Reason is why the model as a whole is unavailable (for example its
	// config.json is invalid); "" when it is not. Status endpoints show it
	// to clients: it must not name server paths or storage URLs.
	Reason string
}

// ModelSource finds and loads models. It must be safe for concurrent use.
// Get returns an error wrapping ErrNotFound for an unknown model, version
// or label, and ErrInvalid for a malformed name.
type ModelSource interface {
	Get(ctx context.Context, ref Ref) (*Loaded, error)
	// Index lists the repository's models, sorted by name.
	Index(ctx context.Context) ([]ModelStatus, error)
}

// ModelLoader is implemented by sources that can load and unload models
// on request (the V2 repository extension).
type ModelLoader interface {
	Load(ctx context.Context, name string) error
	Unload(ctx context.Context, name string) error
}

// CacheStats is a snapshot of a model cache, exported as metrics.
type CacheStats struct {
	Hits, Misses, Loads, LoadErrors, Evictions uint64
	Bytes, Models                              int64
	// LoadPanics counts loads that panicked (recovered; also LoadErrors).
	LoadPanics uint64
	// FailingVersions is the number of model versions whose last load
	// failed (they back off; see modelcache.Cache.Failures).
	FailingVersions int64
}

// StatsSource is implemented by sources that report cache statistics.
type StatsSource interface {
	Stats() CacheStats
}
