// Package signal registers TensorFlow Lite Micro's signal-library custom
// operators (tensorflow/tflite-micro signal/micro/kernels) by their custom
// names, as TFLM's audio front ends use them: SignalWindow,
// SignalFftAutoScale, SignalRfft and SignalIrfft (int16, int32, float32),
// SignalEnergy, SignalFilterBank, SignalFilterBankSquareRoot,
// SignalFilterBankSpectralSubtraction, SignalPCAN, SignalFilterBankLog,
// and the streaming ones: SignalFramer, SignalDelay, SignalStacker and
// SignalOverlapAdd (int16, float32).
//
// Options come from each operator's custom_options FlexBuffer (keys as the
// TFLM kernels read them). Prepare checks everything the reference kernels
// take on trust: index tables of the filter bank are constant and inside
// their tensors, shifts fit their words, FFT lengths are ones TFLM's KISS
// FFT build can run, output sizes match what the kernels write; Eval then
// runs the bit-exact arithmetic of tflite/kernels/signal without checking
// and without allocating.
//
// SignalFilterBankSpectralSubtraction (its noise estimate) and the
// streaming operators (their buffered samples) keep state per Runner; like
// every operator state it is reset at the start of each Run, so each
// request is processed as a fresh TFLM interpreter would process it (state
// carries over between evaluations inside one Run, in a WHILE loop). Where
// the reference leaves an output unwritten (a frame or stack not ready
// yet, energy bins outside the range) it is zero here.
//
// It never imports the interpreter. Register is safe to call on distinct
// resolvers concurrently; prepared kernels are immutable and safe for
// concurrent use.
package signal
