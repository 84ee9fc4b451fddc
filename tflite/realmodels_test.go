package tflite_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/edgeinfer/edgeinfer/tensor"
	"github.com/edgeinfer/edgeinfer/tflite"
)

// corpusMustPass lists the models of ../shared/realmodels that must load
// and match every case's reference. A model listed here that fails is a
// regression and fails the test; a model that passes but is not listed is
// reported so that it can be added. Grow this list as support lands; never
// shrink it to make a change pass.
var corpusMustPass = []string{
	"coral__automl_traffic_model",
	"coral__bodypix_mobilenet_v1_075_512_512_16_quant_decoder",
	"coral__deeplabv3_mnv2_pascal_quant",
	"coral__keras_lstm_mnist_ptq",
	"coral__mobilenet_quant_v1_224_head_layers",
	"coral__mobilenet_v1_0.25_128_quant",
	"coral__mobilenet_v1_0.75_192_quant",
	"coral__mobilenet_v1_1.0_224_quant_embedding_extractor",
	"coral__mobilenet_v2_1.0_224_quant",
	"coral__movenet_single_pose_lightning_ptq",
	"coral__posenet_mobilenet_v1_075_353_481_16_quant_decoder",
	"coral__split_concat",
	"coral__tf2_mobilenet_v2_1.0_224_ptq",
	"coraledgetpu__ssd_mobilenet_v1_coco_quant_postprocess_head_layers",
	"mediapipe__custom_gesture_classifier",
	"mediapipe__face_detection_back",
	"mediapipe__face_detection_full_range",
	"mediapipe__face_landmark",
	"mediapipe__face_landmark_with_attention",
	"mediapipe__hair_segmentation",
	"mediapipe__hand_landmark_lite",
	"mediapipe__hand_landmark_sparse",
	"mediapipe__hand_recrop",
	"mediapipe__palm_detection_full",
	"mediapipe__palm_detection_lite",
	"mediapipe__pose_detection",
	"mediapipe__pose_landmark_lite",
	"mediapipe__selfie_segmentation",
	"mlperftiny__aww_model_v01",
	"mlperftiny__kws_ref_model_int8",
	"mlperftiny__resnet8_cifar_float",
	"mlperftiny__resnet8_cifar_int8",
	"mlperftiny__streaming_wakeword_int8",
	"mlperftiny__toycar_ad_dynrange",
	"mlperftiny__toycar_ad_float",
	"mlperftiny__toycar_ad_int8",
	"mlperftiny__vww_96_14blk_836k_int8",
	"mlperftiny__vww_96_int8",
	"npm-mediapipe__hand_landmark_full",
	"npm-mediapipe__objectron_chair",
	"npm-mediapipe__pose_landmark_full",
	"tfexamples__mobilenet_v2_035_96_embedder",
	"tfexamples__planestrike_tf",
	"tfexamples__recommendation_rnn_i10o100",
	"tflm__audio_preprocessor_float",
	"tflm__audio_preprocessor_int8",
	"tflm__custom_model_rf_keras",
	"tflm__dp_net",
	"tflm__dtln_noise_suppression",
	"tflm__hello_world_float",
	"tflm__hello_world_int8",
	"tflm__keyword_scrambled",
	"tflm__magic_wand",
	"tflm__micro_speech_lstm",
	"tflm__micro_speech_quantized",
	"tflm__mnist_lstm_float",
	"tflm__person_detect",
	"tflsupport__automl_labeler_model",
	"tflsupport__deeplabv3_257_float",
	"tflsupport__dilated_conv",
	"tflsupport__id_detector_2022",
	"tflsupport__mobilenet_v1_0.25_224_float",
	"tflsupport__mobilenet_v1_0.25_224_quant",
	"tflsupport__movie_review_nl_classifier",
	"tflsupport__nl_classifier_builtin_ops",
	"tflsupport__regex_text_embedder",
	"tflsupport__yamnet_wavin_quantized_mel_relu6",
}

// corpusCaseExceptions lists cases whose reference is known not to be
// reachable by an exact engine, with the evidence. Such a case is run and
// shown in the table but does not fail its model. Keep this list short and
// every entry proven.
var corpusCaseExceptions = map[string]string{
	// All six outputs equal stock TFLite's builtin kernels (run.mjs
	// --no-xnnpack) byte for byte on both inputs; with XNNPACK the uint8
	// convolutions drift by a step, and the low-amplitude scores (5-8
	// quantization steps, many ties) then select other boxes in
	// TFLite_Detection_PostProcess. The LSTM state outputs match either way.
	"coral__automl_traffic_model/low":    "XNNPACK drift through NMS: exact with TFLite's builtin kernels",
	"coral__automl_traffic_model/random": "XNNPACK drift through NMS: exact with TFLite's builtin kernels",
	// Every tensor of the model (expose.mjs) equals stock TFLite's builtin
	// kernels (run.mjs --no-xnnpack) exactly on this input; XNNPACK's float
	// requantization drifts up to 61 steps in op 3 and leaves 3 of the 5
	// scores more than 2 steps away.
	"tflsupport__automl_labeler_model/low": "XNNPACK drift: exact with TFLite's builtin kernels",
	// The reference's int8 CONV_2D rounds once (XNNPACK/ruy) where the
	// reference kernels round twice; the dequantized scores then differ by
	// one int8 step at a few classes. TestYamnetStages shows the int8
	// features equal stock TFLite's bit for bit and the int8 tower on them
	// equals TFLite Micro's bit for bit.
	"tflsupport__yamnet_wavin_quantized_mel_relu6/low":    "int8 CONV rounding of the reference: features exact with TFLite, tower exact with TFLM (TestYamnetStages)",
	"tflsupport__yamnet_wavin_quantized_mel_relu6/random": "int8 CONV rounding of the reference: features exact with TFLite, tower exact with TFLM (TestYamnetStages)",
	// Keypoints are argmaxes over heatmaps that are flat on these inputs:
	// one step anywhere moves them. Each of the 155 operators TFLite Micro
	// runs (isolate.mjs, the engine's own inputs, tflm_run) gives the
	// engine's bytes exactly; the other two (CAST from uint8, int32
	// FLOOR_DIV) have per-op goldens (tflite/opgolden). XNNPACK, TFLite's
	// builtin kernels (ruy rounds CONV_2D once) and the reference kernels
	// give three different keypoint sets.
	"coral__movenet_single_pose_lightning_ptq/low":    "rounding-chaotic argmax: every op exact with TFLite Micro",
	"coral__movenet_single_pose_lightning_ptq/random": "rounding-chaotic argmax: every op exact with TFLite Micro",
	// The reference (testdata/realmodels-fixups, XNNPACK) is a per-pixel
	// ARG_MAX over 21 uint8 class scores. On this noise input classes 0 and
	// 20 lead within a few steps of each other almost everywhere; XNNPACK's
	// scores drift up to 6 steps from TFLite's builtin kernels (20% of the
	// 5.5M scores more than 2 steps) and flip 27.8% of the pixels. The
	// engine's class map equals TFLite's builtin kernels (run.mjs
	// --no-xnnpack, commands in the README.md there) on all 263169 pixels,
	// so it agrees with the XNNPACK reference on the same 72.24% as they do.
	"coral__deeplabv3_mnv2_pascal_quant/random": "XNNPACK drift flips near-tied argmax: exact with TFLite's builtin kernels on every pixel",
}

// corpusShortMACs is the size above which -short skips a model's cases
// (it still loads the model): multiply-accumulates of one run. Race builds
// (about ten times slower) skip above corpusRaceMACs.
const (
	corpusShortMACs = 150e6
	corpusRaceMACs  = 30e6
)

// realModelsDir returns ../shared/realmodels relative to the repository
// root, skipping (or failing under EDGEINFER_CONFORMANCE=require) when it is
// absent.
func realModelsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "realmodels"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "models.tsv")); err != nil {
		if os.Getenv("EDGEINFER_CONFORMANCE") == "require" {
			t.Fatalf("real-model corpus required but absent at %s", dir)
		}
		t.Skipf("real-model corpus absent at %s (expected ../shared/realmodels); skipping", dir)
	}
	return dir
}

// corpusRow is one line of the corpus table.
type corpusRow struct {
	name, dtype, loads string
	cases, matched     int
	skipped            bool
	ms                 float64
	failure            string   // first mismatch or error, "" when every case matched
	notes              []string // excepted cases (corpusCaseExceptions)
	info               []string // facts about matched cases (class-map agreement)
}

// TestRealModelCorpus runs every case of every model in ../shared/realmodels
// and compares each output with the case's reference (see compareOutput).
// It logs a table (go test -v -run RealModelCorpus): model, dtype, whether it
// loads (or the first error), cases matched, ms per run at one thread.
func TestRealModelCorpus(t *testing.T) {
	dir := realModelsDir(t)
	dtypes := corpusDTypes(t, dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	must := map[string]bool{}
	for _, n := range corpusMustPass {
		must[n] = true
	}
	var light float64 // 0: run every case
	switch {
	case raceEnabled:
		light = corpusRaceMACs
	case testing.Short():
		light = corpusShortMACs
	}
	var rows []corpusRow
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		if _, err := os.Stat(filepath.Join(dir, name, "model.tflite")); err != nil {
			continue
		}
		delete(must, name)
		row := runCorpusModel(t, filepath.Join(dir, name), light)
		row.name, row.dtype = name, dtypes[name]
		rows = append(rows, row)
		listed := slices.Contains(corpusMustPass, name)
		switch {
		case listed && row.failure != "":
			t.Errorf("%s: listed in corpusMustPass but fails: %s", name, row.failure)
		case !listed && row.failure == "" && row.cases > 0 && !row.skipped:
			t.Logf("%s: passes every case but is not in corpusMustPass: add it", name)
		}
	}
	for n := range must {
		t.Errorf("%s: listed in corpusMustPass but absent from %s", n, dir)
	}
	t.Log("\n" + corpusTable(rows))
}

// corpusDTypes reads the dtype column of models.tsv.
func corpusDTypes(t *testing.T, dir string) map[string]string {
	b, err := os.ReadFile(filepath.Join(dir, "models.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 || len(f) < 3 {
			continue
		}
		out[f[0]] = f[2]
	}
	return out
}

// runCorpusModel loads one model and runs its cases, unless light > 0 and
// one run takes more multiply-accumulates.
func runCorpusModel(t *testing.T, dir string, light float64) corpusRow {
	var row corpusRow
	m, err := tflite.LoadFile(filepath.Join(dir, "model.tflite"))
	if err != nil {
		row.loads = strings.TrimPrefix(err.Error(), filepath.Join(dir, "model.tflite")+": ")
		row.failure = "load: " + row.loads
		return row
	}
	row.loads = "yes"
	cases, _ := filepath.Glob(filepath.Join(dir, "cases", "*", "REFERENCE"))
	sort.Strings(cases)
	row.cases = len(cases)
	if light > 0 && float64(m.MACs()) > light {
		row.skipped = true
		return row
	}
	r := m.NewRunner()
	var total time.Duration
	for _, ref := range cases {
		c := filepath.Dir(ref)
		d, info, err := runCorpusCase(r, c)
		total += d
		key := filepath.Base(dir) + "/" + filepath.Base(c)
		why, excepted := corpusCaseExceptions[key]
		if info != "" && (err == nil || excepted) {
			row.info = append(row.info, filepath.Base(c)+": "+info)
		}
		switch {
		case err == nil:
			row.matched++
			if excepted {
				row.notes = append(row.notes, filepath.Base(c)+": listed in corpusCaseExceptions but matches: remove it")
			}
		case excepted:
			row.notes = append(row.notes, filepath.Base(c)+": "+why)
		case row.failure == "":
			row.failure = filepath.Base(c) + ": " + err.Error()
		}
	}
	if len(cases) > 0 {
		row.ms = float64(total.Microseconds()) / 1e3 / float64(len(cases))
	}
	return row
}

func readNpyFile(path string) (*tensor.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return tensor.ReadNpy(bytes.NewReader(b))
}

// pairByShape orders files to match want: file i goes to slot i when its
// dtype and shape fit, otherwise to the one free slot they fit (the engine
// may order a signature's tensors differently from the subgraph's).
func pairByShape(files []*tensor.Tensor, want []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(files) != len(want) {
		return nil, fmt.Errorf("%d files for %d tensors", len(files), len(want))
	}
	fits := func(a, b *tensor.Tensor) bool { return a.DType == b.DType && a.Shape.Equal(b.Shape) }
	out := make([]*tensor.Tensor, len(want))
	used := make([]bool, len(files))
	for i := range want {
		if fits(files[i], want[i]) {
			out[i], used[i] = files[i], true
		}
	}
	for i := range want {
		if out[i] != nil {
			continue
		}
		for j, f := range files {
			if !used[j] && fits(f, want[i]) {
				out[i], used[j] = f, true
				break
			}
		}
		if out[i] == nil {
			return nil, fmt.Errorf("no file fits tensor %d (%s%v)", i, want[i].DType, want[i].Shape)
		}
	}
	return out, nil
}

func readCaseFiles(c, prefix string) ([]*tensor.Tensor, error) {
	var out []*tensor.Tensor
	for i := 0; ; i++ {
		p := filepath.Join(c, fmt.Sprintf("%s%d.npy", prefix, i))
		if _, err := os.Stat(p); err != nil {
			return out, nil
		}
		x, err := readNpyFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
}

// corpusFixupDir holds references produced with the upstream runners for
// corpus cases whose shared expect file is broken (see its README.md).
const corpusFixupDir = "testdata/realmodels-fixups"

// classMapAgreement is the share of elements a class map (the int64 output
// of ARG_MAX over per-class scores, one class per pixel) must have equal to
// a tflite (XNNPACK) reference. Such an output cannot have a step tolerance:
// where two classes' scores are within the reference's rounding drift of
// each other the winning index flips outright, so the honest comparison is
// the fraction of pixels that agree (reported for every such case).
const classMapAgreement = 0.99

// readCaseExpects reads a case's expect<k>.npy files. A file that holds a
// header but no data (an upstream runner could not write the tensor) is
// replaced by corpusFixupDir/<model>/<case>/expect<k>.npy.zst, which must
// have the header's shape; such a replacement is an ARG_MAX class map
// (README.md there), and fixup[k] reports it. Without a fixup the case
// fails with a clear error.
func readCaseExpects(c string) (expects []*tensor.Tensor, fixup []bool, err error) {
	for k := 0; ; k++ {
		p := filepath.Join(c, fmt.Sprintf("expect%d.npy", k))
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			return expects, fixup, nil
		}
		if err != nil {
			return nil, nil, err
		}
		hr := bytes.NewReader(b)
		h, err := tensor.ReadNpyHeader(hr)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", p, err)
		}
		if hr.Len() > 0 || h.DataLen() == 0 {
			x, err := tensor.ReadNpy(bytes.NewReader(b))
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %v", p, err)
			}
			expects, fixup = append(expects, x), append(fixup, false)
			continue
		}
		model, cs := filepath.Base(filepath.Dir(filepath.Dir(c))), filepath.Base(c)
		fp := filepath.Join(corpusFixupDir, model, cs, fmt.Sprintf("expect%d.npy.zst", k))
		x, err := readZstdNpy(fp)
		if err != nil {
			return nil, nil, fmt.Errorf("%s holds a header but no data, and its fixup: %v", p, err)
		}
		if !x.Shape.Equal(h.Shape) {
			return nil, nil, fmt.Errorf("fixup %s is %v, %s declares %v", fp, x.Shape, p, h.Shape)
		}
		expects, fixup = append(expects, x), append(fixup, true)
	}
}

// readZstdNpy reads a zstd-compressed .npy file.
func readZstdNpy(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(64<<20))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	x, err := tensor.ReadNpyLimit(zr, 64<<20)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return x, nil
}

// runCorpusCase runs one case and compares every output with its
// reference; it returns the time of the run and, for class maps, their
// agreement with the reference.
func runCorpusCase(r *tflite.Runner, c string) (time.Duration, string, error) {
	refb, err := os.ReadFile(filepath.Join(c, "REFERENCE"))
	if err != nil {
		return 0, "", err
	}
	ref := strings.TrimSpace(string(refb))
	if ref != "tflm" && ref != "tflite" {
		return 0, "", fmt.Errorf("unknown REFERENCE %q", ref)
	}
	files, err := readCaseFiles(c, "in")
	if err != nil {
		return 0, "", err
	}
	ins, err := pairByShape(files, r.Inputs())
	if err != nil {
		return 0, "", fmt.Errorf("inputs: %v", err)
	}
	expects, fixup, err := readCaseExpects(c)
	if err != nil {
		return 0, "", fmt.Errorf("reference: %v", err)
	}
	isFixup := map[*tensor.Tensor]bool{}
	for k, x := range expects {
		isFixup[x] = fixup[k]
	}
	t0 := time.Now()
	outs, err := r.Run(context.Background(), ins)
	d := time.Since(t0)
	if err != nil {
		return d, "", err
	}
	want, err := pairByShape(expects, outs)
	if err != nil {
		return d, "", fmt.Errorf("outputs: %v", err)
	}
	var info []string
	for k := range outs {
		if isFixup[want[k]] && ref == "tflite" {
			agree, err := compareClassMap(outs[k], want[k])
			info = append(info, fmt.Sprintf("output %d class map: %s of pixels equal to the reference", k, agree))
			if err != nil {
				return d, strings.Join(info, "; "), fmt.Errorf("output %d (%s): %v", k, outs[k].Name, err)
			}
			continue
		}
		if err := compareOutput(ref, outs[k], want[k]); err != nil {
			return d, strings.Join(info, "; "), fmt.Errorf("output %d (%s): %v", k, outs[k].Name, err)
		}
	}
	return d, strings.Join(info, "; "), nil
}

// compareClassMap compares an integer class map with a tflite reference:
// at least classMapAgreement of its elements must be equal (see there). It
// returns the agreement as "n/total (p%)".
func compareClassMap(got, want *tensor.Tensor) (string, error) {
	if got.DType != want.DType || !got.Shape.Equal(want.Shape) {
		return "-", fmt.Errorf("is %s%v, reference %s%v", got.DType, got.Shape, want.DType, want.Shape)
	}
	if want.DType != tensor.Int64 && want.DType != tensor.Int32 {
		return "-", fmt.Errorf("class map reference is %s, want int32 or int64", want.DType)
	}
	n, eq := want.Shape.Elements(), 0
	for i := range n {
		if got.AsFloat64(i) == want.AsFloat64(i) {
			eq++
		}
	}
	agree := fmt.Sprintf("%d/%d (%.2f%%)", eq, n, 100*float64(eq)/float64(n))
	if float64(eq) < classMapAgreement*float64(n) {
		return agree, fmt.Errorf("class map: only %s of pixels equal the reference (need %g%%)", agree, 100*classMapAgreement)
	}
	return agree, nil
}

// compareOutput applies the corpus's rules (../shared/realmodels/README.md).
// tflm (reference kernels): integer outputs exactly equal, float within 1e-4
// of the expected output's range. tflite (XNNPACK, tolerance goldens):
// quantized outputs within 32 steps with at least 90% of the elements within
// 2 and a clear top-1 (a lead of more than 4 steps) unchanged; float within
// 2e-3 of the range; other integer outputs exactly equal.
func compareOutput(ref string, got, want *tensor.Tensor) error {
	if got.DType != want.DType || !got.Shape.Equal(want.Shape) {
		return fmt.Errorf("is %s%v, reference %s%v", got.DType, got.Shape, want.DType, want.Shape)
	}
	n := want.Shape.Elements()
	switch want.DType {
	case tensor.Float32, tensor.Float64, tensor.Float16:
		if want.DType == tensor.Float16 {
			return bytesEqual(got, want)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range n {
			v := want.AsFloat64(i)
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		rng := hi - lo
		if !(rng > 0) {
			rng = max(math.Abs(hi), math.Abs(lo), 1)
		}
		rel := 1e-4
		if ref == "tflite" {
			rel = 2e-3
		}
		tol := rel * rng
		for i := range n {
			g, w := got.AsFloat64(i), want.AsFloat64(i)
			if math.IsNaN(w) || math.IsInf(w, 0) {
				if !(math.IsNaN(w) && math.IsNaN(g)) && g != w {
					return fmt.Errorf("[%d] = %v, reference %v", i, g, w)
				}
				continue
			}
			if !(math.Abs(g-w) <= tol) {
				return fmt.Errorf("[%d] = %v, reference %v (tolerance %.3g = %g of the range %.4g)", i, g, w, tol, rel, rng)
			}
		}
		return nil
	}
	quantized := got.Quant != nil && len(got.Quant.Scale) > 0 &&
		(want.DType == tensor.Int8 || want.DType == tensor.Uint8 || want.DType == tensor.Int16)
	if ref == "tflm" || !quantized {
		return bytesEqual(got, want)
	}
	far, worst, worstAt := 0, 0.0, 0
	for i := range n {
		d := math.Abs(got.AsFloat64(i) - want.AsFloat64(i))
		if d > 2 {
			far++
		}
		if d > worst {
			worst, worstAt = d, i
		}
	}
	if worst > 32 {
		return fmt.Errorf("[%d] = %v, reference %v: %v steps apart (limit 32)", worstAt, got.AsFloat64(worstAt), want.AsFloat64(worstAt), worst)
	}
	if float64(far) > 0.1*float64(n) {
		return fmt.Errorf("%d of %d elements more than 2 steps from the reference (limit 10%%)", far, n)
	}
	if top, lead := argmaxLead(want); lead > 4 {
		if g, _ := argmaxLead(got); g != top {
			return fmt.Errorf("top-1 is element %d, reference %d (lead %v steps)", g, top, lead)
		}
	}
	return nil
}

// bytesEqual requires identical elements and reports the first difference.
func bytesEqual(got, want *tensor.Tensor) error {
	if bytes.Equal(got.Data, want.Data) {
		return nil
	}
	n, bad, first := want.Shape.Elements(), 0, -1
	for i := range n {
		if got.AsFloat64(i) != want.AsFloat64(i) {
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	if first < 0 {
		return fmt.Errorf("bytes differ")
	}
	return fmt.Errorf("%d of %d elements differ; first [%d] = %v, reference %v", bad, n, first, got.AsFloat64(first), want.AsFloat64(first))
}

// argmaxLead returns the index of the largest element and how far it leads
// the second largest.
func argmaxLead(x *tensor.Tensor) (int, float64) {
	n := x.Shape.Elements()
	best, second, at := math.Inf(-1), math.Inf(-1), -1
	for i := range n {
		v := x.AsFloat64(i)
		switch {
		case v > best:
			best, second, at = v, best, i
		case v > second:
			second = v
		}
	}
	return at, best - second
}

// corpusTable formats rows as a Markdown table.
func corpusTable(rows []corpusRow) string {
	var b strings.Builder
	b.WriteString("| model | dtype | loads | cases matched | ms |\n|---|---|---|---|---|\n")
	pass, excepted := 0, 0
	for _, r := range rows {
		matched := fmt.Sprintf("%d/%d", r.matched, r.cases)
		ms := fmt.Sprintf("%.2f", r.ms)
		switch {
		case r.loads != "yes":
			matched, ms = "-", "-"
		case r.skipped:
			matched, ms = fmt.Sprintf("skipped (-short or race, %d cases)", r.cases), "-"
		case r.cases == 0:
			ms = "-"
		}
		loads := r.loads
		if r.failure != "" && r.loads == "yes" {
			matched += " (" + r.failure + ")"
		}
		for _, n := range r.notes {
			matched += " (" + n + ")"
		}
		for _, n := range r.info {
			matched += " (" + n + ")"
		}
		if r.failure == "" && r.loads == "yes" {
			pass++
			if len(r.notes) > 0 {
				excepted++
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.name, r.dtype, strings.ReplaceAll(loads, "|", "/"), strings.ReplaceAll(matched, "|", "/"), ms)
	}
	fmt.Fprintf(&b, "\n%d of %d models load and match every case (or load, where they have no cases); %d of them with cases excepted (corpusCaseExceptions).\n", pass, len(rows), excepted)
	return b.String()
}
