package modelcache

// LabelsFile is the optional label file of a model, one label per line:
// <repo>/<model>/<version>/labels.txt, else <repo>/<model>/labels.txt. The
// server uses it for outputs the model's own metadata leaves unlabelled.
const LabelsFile = "labels.txt"
