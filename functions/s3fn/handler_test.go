package main

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/edgeinfer/edgeinfer/batch"
	"github.com/edgeinfer/edgeinfer/functions/internal/lambdaenv"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "minimal", env: map[string]string{"MODEL": "linear", "OUTPUT_PREFIX": "s3://b/out/"},
			want: Config{OutputPrefix: "s3://b/out", Format: batch.FormatAuto}},
		{name: "all", env: map[string]string{"MODEL": "linear:3", "OUTPUT_PREFIX": "s3://b/out", "INPUT_FORMAT": "csv", "BATCH_ITEMS": "16"},
			want: Config{OutputPrefix: "s3://b/out", Format: batch.FormatCSV, BatchItems: 16}},
		{name: "no model", env: map[string]string{"OUTPUT_PREFIX": "s3://b/out"}, wantErr: "MODEL"},
		{name: "no output", env: map[string]string{"MODEL": "linear"}, wantErr: "OUTPUT_PREFIX"},
		{name: "bad format", env: map[string]string{"MODEL": "linear", "OUTPUT_PREFIX": "s3://b/o", "INPUT_FORMAT": "xml"}, wantErr: "xml"},
		{name: "csv options", env: map[string]string{"MODEL": "linear", "OUTPUT_PREFIX": "s3://b/out", "CSV_HEADER": "true", "CSV_COLUMNS": "x=f1, f2,f3,f4; mask=m"},
			want: Config{OutputPrefix: "s3://b/out", CSVHeader: batch.CSVHeaderPresent, CSVColumns: map[string][]string{"x": {"f1", "f2", "f3", "f4"}, "mask": {"m"}}}},
		{name: "csv output", env: map[string]string{"MODEL": "linear", "OUTPUT_PREFIX": "s3://b/out", "OUTPUT_FORMAT": "csv"},
			want: Config{OutputPrefix: "s3://b/out", Output: batch.OutputCSV}},
		{name: "npy output", env: map[string]string{"MODEL": "linear", "OUTPUT_PREFIX": "s3://b/o", "OUTPUT_FORMAT": "npy"},
			want: Config{OutputPrefix: "s3://b/o", Output: batch.OutputNpy}},
		{name: "bad output", env: map[string]string{"MODEL": "linear", "OUTPUT_PREFIX": "s3://b/o", "OUTPUT_FORMAT": "parquet"}, wantErr: "OUTPUT_FORMAT"},
		{name: "bad csv header", env: map[string]string{"MODEL": "linear", "OUTPUT_PREFIX": "s3://b/o", "CSV_HEADER": "maybe"}, wantErr: "CSV_HEADER"},
		{name: "bad csv columns", env: map[string]string{"MODEL": "linear", "OUTPUT_PREFIX": "s3://b/o", "CSV_COLUMNS": "x"}, wantErr: "CSV_COLUMNS"},
		{name: "bad batch", env: map[string]string{"MODEL": "linear", "OUTPUT_PREFIX": "s3://b/o", "BATCH_ITEMS": "0"}, wantErr: "BATCH_ITEMS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.OutputPrefix != tc.want.OutputPrefix || c.Format != tc.want.Format || c.BatchItems != tc.want.BatchItems || c.Model.Model != "linear" ||
				c.CSVHeader != tc.want.CSVHeader || c.Output != tc.want.Output || !reflect.DeepEqual(c.CSVColumns, tc.want.CSVColumns) {
				t.Errorf("%+v, want %+v", c, tc.want)
			}
		})
	}
}

func TestApplyDefaults(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want int
	}{{"", 1}, {"4", 4}} {
		getenv := func(k string) string {
			if k == "INTRA_OP_THREADS" {
				return tc.env
			}
			return ""
		}
		s, err := lambdaenv.FromEnv(getenv)
		if err != nil {
			t.Fatal(err)
		}
		applyDefaults(&s, getenv)
		if s.IntraOpThreads != tc.want {
			t.Errorf("INTRA_OP_THREADS=%q: %d threads, want %d", tc.env, s.IntraOpThreads, tc.want)
		}
	}
}

// TestInvokeSkips: events that name no new input (other event names, the
// function's own outputs, S3's test event) are acknowledged without
// touching the store or the model.
func TestInvokeSkips(t *testing.T) {
	s, err := lambdaenv.FromEnv(func(k string) string { return map[string]string{"MODEL_REPOSITORY": t.TempDir()}[k] })
	if err != nil {
		t.Fatal(err)
	}
	rt, err := lambdaenv.New(context.Background(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	h := &Handler{RT: rt, Cfg: Config{OutputPrefix: "s3://b/out"}}
	rec := func(name, key string) string {
		return `{"eventSource":"aws:s3","eventName":"` + name + `","s3":{"bucket":{"name":"b"},"object":{"key":"` + key + `"}}}`
	}
	for _, tc := range []struct{ name, payload string }{
		{"delete event", `{"Records":[` + rec("ObjectRemoved:Delete", "in/x.csv") + `]}`},
		{"own predictions", `{"Records":[` + rec("ObjectCreated:Put", "in/x.csv.predictions.ndjson.zst") + `]}`},
		{"under output prefix", `{"Records":[` + rec("ObjectCreated:Put", "out/x.csv") + `]}`},
		{"sqs test event", `{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{\"Event\":\"s3:TestEvent\"}"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), json.RawMessage(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(out)
			if strings.Contains(string(b), "itemIdentifier") || strings.Contains(string(b), `"status"`) {
				t.Errorf("response %s", b)
			}
		})
	}
	for _, bad := range []string{`{}`, `[]`, `{"Records":[{"eventSource":"aws:kinesis"}]}`} {
		if _, err := h.Invoke(context.Background(), json.RawMessage(bad)); err != ErrUnknownEvent {
			t.Errorf("%s: err %v, want ErrUnknownEvent", bad, err)
		}
	}
	out, err := h.Invoke(context.Background(), json.RawMessage(`{"Records":[{"eventSource":"aws:sqs","messageId":"m9","body":"not json"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(out); !strings.Contains(string(b), `"m9"`) {
		t.Errorf("undecodable message not reported as a failure: %s", b)
	}
}
