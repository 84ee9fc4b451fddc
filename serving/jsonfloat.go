package serving

import (
	"encoding/json"
	"math"
)

// JSON has no NaN or infinities: answers write them as the strings
// "NaN", "Infinity" and "-Infinity", as tensor.AppendJSON does for
// tensors, so that every answer is valid JSON (encoding/json refuses them,
// which would turn a NaN score into a 500).

// jsonFloat returns f as it is when finite, else its string name.
func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// MarshalJSON writes the class as {"index","label","score"}, a non-finite
// score as its string name.
func (c Class) MarshalJSON() ([]byte, error) {
	type plain Class
	if finite(float64(c.Score)) {
		return json.Marshal(plain(c))
	}
	return json.Marshal(struct {
		Index int    `json:"index"`
		Label string `json:"label,omitempty"`
		Score any    `json:"score"`
	}{c.Index, c.Label, jsonFloat(float64(c.Score))})
}

// MarshalJSON writes the detection as {"label","class","score","box"},
// non-finite numbers as their string names.
func (d Detection) MarshalJSON() ([]byte, error) {
	type plain Detection
	ok := finite(float64(d.Score))
	for _, v := range d.Box {
		ok = ok && finite(v)
	}
	if ok {
		return json.Marshal(plain(d))
	}
	var box [4]any
	for i, v := range d.Box {
		box[i] = jsonFloat(v)
	}
	return json.Marshal(struct {
		Label string `json:"label,omitempty"`
		Class int    `json:"class"`
		Score any    `json:"score"`
		Box   [4]any `json:"box"`
	}{d.Label, d.Class, jsonFloat(float64(d.Score)), box})
}
