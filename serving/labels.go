package serving

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/edgeinfer/edgeinfer/modelcache"
	"github.com/edgeinfer/edgeinfer/objstore"
)

// MaxLabelsBytes bounds a labels.txt read beside a model.
const MaxLabelsBytes = 4 << 20

// labelsFinder is implemented by sources that can read the labels.txt
// beside a model: it returns nil when there is none.
type labelsFinder interface {
	labelsTxt(ctx context.Context, name string, version int64) ([]byte, error)
}

var _ labelsFinder = (*CacheSource)(nil)

// labelsTxt reads <repo>/<model>/<version>/labels.txt, else
// <repo>/<model>/labels.txt (one label per line; it labels the outputs the
// model's own metadata leaves unlabelled). It is read once per loaded
// model version.
func (s *CacheSource) labelsTxt(ctx context.Context, name string, version int64) ([]byte, error) {
	root := strings.TrimSuffix(s.repo.Root(), "/")
	for _, u := range []string{root + "/" + name + "/" + strconv.FormatInt(version, 10) + "/" + modelcache.LabelsFile, root + "/" + name + "/" + modelcache.LabelsFile} {
		b, _, err := s.repo.Store().ReadAll(ctx, u, MaxLabelsBytes, &objstore.ReadOptions{})
		switch {
		case err == nil:
			return b, nil
		case errors.Is(err, objstore.ErrNotFound):
			continue
		case errors.Is(err, objstore.ErrTooLarge):
			return nil, fmt.Errorf("%w: %s/labels.txt is over %d bytes", ErrInvalid, name, MaxLabelsBytes)
		case ctx.Err() != nil:
			// The request's deadline or cancellation, not the store: 504/499.
			return nil, fmt.Errorf("serving: reading %s/labels.txt: %w", name, context.Cause(ctx))
		default:
			return nil, fmt.Errorf("%w: reading %s/labels.txt", ErrUnavailable, name)
		}
	}
	return nil, nil
}
