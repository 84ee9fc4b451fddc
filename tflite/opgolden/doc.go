// Package opgolden holds per-operator golden tests and nothing else: tiny
// models built with tflitebuild, run through the engine, and compared with
// the outputs TensorFlow Lite's reference runners (../shared/golden: TFLite
// Micro's reference kernels, or stock TFLite's builtin kernels with
// --no-xnnpack) produced for the same model and inputs. The inputs and
// reference outputs are committed under testdata/<case>/; testdata/README.md
// says how they were produced. It imports the engine (tflite) and is
// imported by nothing.
package opgolden
