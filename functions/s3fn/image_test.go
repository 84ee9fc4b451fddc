package main

import "testing"

func TestImageConfig(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		image bool
		topK  int
		ok    bool
	}{
		{map[string]string{}, false, 0, true},
		{map[string]string{"INPUT_FORMAT": "image", "TOP_K": "3"}, true, 3, true},
		{map[string]string{"INPUT_FORMAT": "IMAGE"}, true, 0, true},
		{map[string]string{"TOP_K": "0"}, false, 0, false},
		{map[string]string{"TOP_K": "x"}, false, 0, false},
	} {
		env := map[string]string{"MODEL": "m", "OUTPUT_PREFIX": "s3://b/o"}
		for k, v := range tc.env {
			env[k] = v
		}
		c, err := ConfigFromEnv(func(k string) string { return env[k] })
		if (err == nil) != tc.ok || (tc.ok && (c.Image != tc.image || c.TopK != tc.topK)) {
			t.Errorf("%v: %+v, %v", tc.env, c, err)
		}
	}
}
