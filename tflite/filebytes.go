package tflite

// FileBytes returns the bytes the model was loaded from: the flatbuffer and
// anything appended to it (TFLite Model Metadata's zip of associated files).
// The caller must not modify them.
func (m *Model) FileBytes() []byte { return m.file.data }
