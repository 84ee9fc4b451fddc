package objstore

import (
	"context"
	"fmt"
	"net/http"
)

// s3Backend holds the S3 client shared by all buckets of a Store.
type s3Backend struct{}

func newS3Backend(ctx context.Context, o Options, client *http.Client) (*s3Backend, error) {
	return nil, fmt.Errorf("%w: s3 not implemented yet", ErrUnsupported)
}

func (b *s3Backend) bucket(name string) driver { return nil }
