package signal

import "github.com/edgeinfer/edgeinfer/tflite/op"

// Register adds every operator of this package to r, under the names TFLM
// models use ("CUSTOM:SignalWindow", ...).
func Register(r *op.Resolver) {
	r.Add("CUSTOM:SignalWindow", prepareWindow)
	r.Add("CUSTOM:SignalFftAutoScale", prepareFftAutoScale)
	r.Add("CUSTOM:SignalRfft", prepareRfft)
	r.Add("CUSTOM:SignalEnergy", prepareEnergy)
	r.Add("CUSTOM:SignalFilterBank", prepareFilterBank)
	r.Add("CUSTOM:SignalFilterBankSquareRoot", prepareFilterBankSquareRoot)
	r.Add("CUSTOM:SignalFilterBankSpectralSubtraction", prepareSpectralSubtraction)
	r.Add("CUSTOM:SignalPCAN", preparePcan)
	r.Add("CUSTOM:SignalFilterBankLog", prepareFilterBankLog)
	r.Add("CUSTOM:SignalFramer", prepareFramer)
	r.Add("CUSTOM:SignalDelay", prepareDelay)
	r.Add("CUSTOM:SignalStacker", prepareStacker)
	r.Add("CUSTOM:SignalOverlapAdd", prepareOverlapAdd)
	r.Add("CUSTOM:SignalIrfft", prepareIrfft)
}
