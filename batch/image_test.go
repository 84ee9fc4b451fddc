package batch

import "testing"

func TestIsImageKey(t *testing.T) {
	for key, want := range map[string]bool{
		"a/b.jpg": true, "x.JPEG": true, "p.png.zst": true, "q.webp": true, "g.gif": true, "b.bmp": true,
		"a.csv": false, "a.ndjson.zst": false, "jpg": false, "a.jpg.json": false,
	} {
		if got := IsImageKey(key); got != want {
			t.Errorf("IsImageKey(%q) = %v, want %v", key, got, want)
		}
	}
	if PredictionURL("s3://b/out/", "/in/x.jpg") != "s3://b/out/in/x.jpg.prediction.json" {
		t.Error(PredictionURL("s3://b/out/", "/in/x.jpg"))
	}
}
