// Package layers packages the Lambda deliverables: the models layer (a zip
// of a model repository under models/, which Lambda extracts to
// /opt/models, checked against Lambda's 250 MB unzipped limit) and the
// function zips (one executable bootstrap each). Zips are deterministic.
// Commands cmd/modelslayer and cmd/fnzip are what `make layer` and
// `make package` run.
//
// It imports modelcache and objstore (to check the repository as the
// server reads it) and tflite (every model file must load), nothing of
// serving or functions. Its functions are safe for concurrent
// use.
package layers
