package objstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// sha256MetaKey is the user metadata key under which writes record the
// object's SHA-256 (hex) when they know it before the upload starts.
const sha256MetaKey = "sha256"

// s3Backend holds the S3 client shared by all buckets of a Store.
type s3Backend struct {
	client *s3.Client
	opts   Options
}

// newS3Backend loads the AWS configuration (region and credentials from
// Options, else from the environment and shared files) and builds a client
// whose own retries are off: the Store retries.
func newS3Backend(ctx context.Context, o Options, hc *http.Client) (*s3Backend, error) {
	lo := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
	}
	if o.S3Region != "" {
		lo = append(lo, config.WithRegion(o.S3Region))
	}
	if o.S3AccessKeyID != "" {
		lo = append(lo, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.S3AccessKeyID, o.S3SecretAccessKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("objstore: load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.S3Endpoint != "" {
			so.BaseEndpoint = aws.String(o.S3Endpoint)
		}
		so.HTTPClient = hc
		so.UsePathStyle = o.S3PathStyle
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &s3Backend{client: client, opts: o}, nil
}

func (b *s3Backend) bucket(name string) driver { return &s3Bucket{b: b, name: name} }

// s3Bucket is the driver for one bucket.
type s3Bucket struct {
	b    *s3Backend
	name string
}

var _ driver = (*s3Bucket)(nil)

func (*s3Bucket) remote() bool { return true }

// s3Err maps an SDK error onto the portable errors. Throttling, 5xx and
// transport failures are transient; the ctx ending passes through.
func s3Err(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case code == "NoSuchKey" || code == "NoSuchBucket" || code == "NotFound" || status == http.StatusNotFound:
		return fmt.Errorf("%w: %s: %w", ErrNotFound, what, err)
	case code == "AccessDenied" || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
		status == http.StatusForbidden || status == http.StatusUnauthorized:
		return fmt.Errorf("%w: %s: %w", ErrPermission, what, err)
	case code == "PreconditionFailed" || status == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %s: %w", ErrChanged, what, err)
	case code == "InvalidRange" || status == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("%w: %s: %w", ErrInvalidRange, what, err)
	case code == "SlowDown" || code == "Throttling" || code == "ThrottlingException" ||
		code == "RequestTimeout" || code == "InternalError" || code == "ServiceUnavailable" ||
		status == http.StatusTooManyRequests || status >= 500:
		return transient(fmt.Errorf("%s: %w", what, err))
	case status != 0:
		return fmt.Errorf("%s: %w", what, err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// No HTTP response: connection refused or reset, truncated response.
	return transient(fmt.Errorf("%s: %w", what, err))
}

func (d *s3Bucket) what(op, key string) string {
	return fmt.Sprintf("%s s3://%s/%s", op, d.name, key)
}

func metaSHA(m map[string]string) string {
	for k, v := range m {
		if strings.EqualFold(k, sha256MetaKey) {
			return v
		}
	}
	return ""
}

func (d *s3Bucket) attributes(ctx context.Context, key string) (Attributes, error) {
	out, err := d.b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &d.name, Key: &key})
	if err != nil {
		return Attributes{}, s3Err(ctx, err, d.what("HEAD", key))
	}
	return Attributes{
		Key:             key,
		Size:            aws.ToInt64(out.ContentLength),
		ETag:            aws.ToString(out.ETag),
		ModTime:         aws.ToTime(out.LastModified),
		ContentType:     aws.ToString(out.ContentType),
		ContentEncoding: aws.ToString(out.ContentEncoding),
		SHA256:          metaSHA(out.Metadata),
		Metadata:        out.Metadata,
	}, nil
}

func (d *s3Bucket) newRangeReader(ctx context.Context, key string, off, n int64, ifMatch string) (driverReader, error) {
	in := &s3.GetObjectInput{Bucket: &d.name, Key: &key}
	if off > 0 || n >= 0 {
		in.Range = aws.String(rangeHeader(off, n))
	}
	if ifMatch != "" {
		in.IfMatch = aws.String(ifMatch)
	}
	out, err := d.b.client.GetObject(ctx, in)
	if err != nil {
		err = s3Err(ctx, err, d.what("GET", key))
		if errors.Is(err, ErrInvalidRange) {
			// S3 refuses any range of an empty object and a range starting
			// at the end: both are an empty read by our contract.
			a, herr := d.attributes(ctx, key)
			if herr != nil {
				return nil, herr
			}
			if ifMatch != "" && a.ETag != ifMatch {
				return nil, fmt.Errorf("%w: %s", ErrChanged, d.what("GET", key))
			}
			if off == a.Size {
				return &s3Body{httpBody{rc: http.NoBody, a: a, n: 0}}, nil
			}
		}
		return nil, err
	}
	a := Attributes{
		Key:             key,
		ETag:            aws.ToString(out.ETag),
		ModTime:         aws.ToTime(out.LastModified),
		ContentType:     aws.ToString(out.ContentType),
		ContentEncoding: aws.ToString(out.ContentEncoding),
		SHA256:          metaSHA(out.Metadata),
		Metadata:        out.Metadata,
	}
	length := aws.ToInt64(out.ContentLength)
	if out.ContentLength == nil {
		length = -1
	}
	a.Size = length
	if cr := aws.ToString(out.ContentRange); cr != "" {
		start, end, total, err := parseContentRange(cr)
		if err != nil || start != off || (length >= 0 && end-start+1 != length) {
			out.Body.Close()
			return nil, fmt.Errorf("%s: %w", d.what("GET", key), errors.Join(err, fmt.Errorf("Content-Range %q does not match offset %d and length %d", cr, off, length)))
		}
		a.Size = total
	} else if off > 0 {
		out.Body.Close()
		return nil, fmt.Errorf("%s: ranged GET answered without Content-Range", d.what("GET", key))
	}
	return &s3Body{httpBody{rc: out.Body, a: a, n: length}}, nil
}

// s3Body is a GetObject body.
type s3Body struct{ httpBody }

func (d *s3Bucket) list(ctx context.Context, prefix string, fn func(Attributes) error) error {
	p := s3.NewListObjectsV2Paginator(d.b.client, &s3.ListObjectsV2Input{Bucket: &d.name, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s3Err(ctx, err, d.what("LIST", prefix))
		}
		for _, o := range page.Contents {
			err := fn(Attributes{
				Key:     aws.ToString(o.Key),
				Size:    aws.ToInt64(o.Size),
				ETag:    aws.ToString(o.ETag),
				ModTime: aws.ToTime(o.LastModified),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *s3Bucket) delete(ctx context.Context, key string) error {
	// S3 deletes a missing key without complaint; our contract says
	// ErrNotFound, so look first.
	if _, err := d.attributes(ctx, key); err != nil {
		return err
	}
	_, err := d.b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &d.name, Key: &key})
	return s3Err(ctx, err, d.what("DELETE", key))
}

func (d *s3Bucket) newWriter(ctx context.Context, key string, opts *WriteOptions) (driverWriter, error) {
	ps := max(d.b.opts.PartSize, MinS3PartSize)
	w := &s3Writer{
		d:        d,
		ctx:      ctx,
		key:      key,
		opts:     *opts,
		partSize: ps,
		sem:      make(chan struct{}, d.b.opts.Concurrency),
		retry:    retryPolicy{d.b.opts},
	}
	w.opts.Metadata = maps.Clone(opts.Metadata)
	return w, nil
}

// s3Writer buffers up to one part; a stream that fits one part is a single
// PutObject, a larger one a multipart upload with Concurrency parts in
// flight (memory about (Concurrency+1) × part size).
type s3Writer struct {
	d        *s3Bucket
	ctx      context.Context
	key      string
	opts     WriteOptions
	partSize int64
	sem      chan struct{}
	retry    retryPolicy

	buf      []byte
	uploadID string // "" until the first full part
	next     int32  // next part number
	wg       sync.WaitGroup

	mu      sync.Mutex
	parts   []types.CompletedPart // guarded by mu
	err     error                 // guarded by mu; first failure
	aborted bool                  // guarded by mu
}

func (w *s3Writer) firstErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.aborted && w.err == nil {
		return ErrClosed
	}
	return w.err
}

func (w *s3Writer) setErr(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if err := w.firstErr(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, w.partSize)
		}
		k := min(len(p), int(w.partSize)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if int64(len(w.buf)) == w.partSize {
			if err := w.flushPart(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

func (w *s3Writer) putInput() (*string, *string, map[string]string) {
	var ct, ce *string
	if w.opts.ContentType != "" {
		ct = aws.String(w.opts.ContentType)
	}
	if w.opts.ContentEncoding != "" {
		ce = aws.String(w.opts.ContentEncoding)
	}
	return ct, ce, w.opts.Metadata
}

// flushPart uploads the full buffer as the next part, starting the
// multipart upload first if needed. It blocks while Concurrency parts are
// in flight.
func (w *s3Writer) flushPart() error {
	if w.uploadID == "" {
		ct, ce, md := w.putInput()
		var out *s3.CreateMultipartUploadOutput
		err := w.retry.do(w.ctx, func(ctx context.Context) error {
			var err error
			out, err = w.d.b.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
				Bucket: &w.d.name, Key: &w.key, ContentType: ct, ContentEncoding: ce, Metadata: md,
			})
			return s3Err(ctx, err, w.d.what("CREATE-MULTIPART", w.key))
		})
		if err != nil {
			w.setErr(err)
			return err
		}
		w.uploadID = aws.ToString(out.UploadId)
		w.next = 1
	}
	select {
	case w.sem <- struct{}{}:
	case <-w.ctx.Done():
		w.setErr(w.ctx.Err())
		return w.ctx.Err()
	}
	if err := w.firstErr(); err != nil {
		<-w.sem
		return err
	}
	data, num := w.buf, w.next
	w.buf = nil
	w.next++
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() { <-w.sem }()
		var etag *string
		err := w.retry.do(w.ctx, func(ctx context.Context) error {
			out, err := w.d.b.client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &w.d.name, Key: &w.key, UploadId: &w.uploadID,
				PartNumber: aws.Int32(num), Body: bytes.NewReader(data),
				ContentLength: aws.Int64(int64(len(data))),
			})
			if err != nil {
				return s3Err(ctx, err, w.d.what(fmt.Sprintf("UPLOAD-PART %d", num), w.key))
			}
			etag = out.ETag
			return nil
		})
		if err != nil {
			w.setErr(err)
			return
		}
		w.mu.Lock()
		w.parts = append(w.parts, types.CompletedPart{ETag: etag, PartNumber: aws.Int32(num)})
		w.mu.Unlock()
	}()
	return nil
}

func (w *s3Writer) Close() error {
	if err := w.firstErr(); err != nil {
		w.abort()
		return err
	}
	if w.uploadID == "" {
		// One part or less: a single PUT, recording the SHA-256.
		sum := sha256.Sum256(w.buf)
		ct, ce, md := w.putInput()
		md = maps.Clone(md)
		if md == nil {
			md = map[string]string{}
		}
		md[sha256MetaKey] = hex.EncodeToString(sum[:])
		return w.retry.do(w.ctx, func(ctx context.Context) error {
			_, err := w.d.b.client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: &w.d.name, Key: &w.key, Body: bytes.NewReader(w.buf),
				ContentLength: aws.Int64(int64(len(w.buf))),
				ContentType:   ct, ContentEncoding: ce, Metadata: md,
			})
			return s3Err(ctx, err, w.d.what("PUT", w.key))
		})
	}
	if len(w.buf) > 0 {
		if err := w.flushPart(); err != nil {
			w.abort()
			return err
		}
	}
	w.wg.Wait()
	if err := w.firstErr(); err != nil {
		w.abort()
		return err
	}
	w.mu.Lock()
	parts := slices.Clone(w.parts)
	w.mu.Unlock()
	slices.SortFunc(parts, func(a, b types.CompletedPart) int { return int(aws.ToInt32(a.PartNumber) - aws.ToInt32(b.PartNumber)) })
	err := w.retry.do(w.ctx, func(ctx context.Context) error {
		_, err := w.d.b.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &w.d.name, Key: &w.key, UploadId: &w.uploadID,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		return s3Err(ctx, err, w.d.what("COMPLETE-MULTIPART", w.key))
	})
	if err != nil {
		w.abort()
	}
	return err
}

// abort stops the upload and deletes any parts already stored, on a ctx
// of its own so that it runs even when the write's ctx was cancelled.
func (w *s3Writer) abort() {
	w.mu.Lock()
	if w.aborted {
		w.mu.Unlock()
		return
	}
	w.aborted = true
	w.mu.Unlock()
	w.wg.Wait()
	w.buf = nil
	if w.uploadID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 30*time.Second)
	defer cancel()
	_ = w.retry.do(ctx, func(ctx context.Context) error {
		_, err := w.d.b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: &w.d.name, Key: &w.key, UploadId: &w.uploadID,
		})
		return s3Err(ctx, err, w.d.what("ABORT-MULTIPART", w.key))
	})
}
