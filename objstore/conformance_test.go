package objstore_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/edgeinfer/edgeinfer/objstore"
	"github.com/edgeinfer/edgeinfer/objstore/objstoretest"
)

func newStore(t *testing.T, o objstore.Options) *objstore.Store {
	t.Helper()
	s, err := objstore.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformanceFile(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstoretest.Harness {
		return objstoretest.Harness{
			Store: newStore(t, objstore.Options{PartSize: 64 << 10}),
			Base:  "file://" + filepath.ToSlash(t.TempDir()) + "/",
		}
	})
}

func TestConformancePlainPath(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstoretest.Harness {
		return objstoretest.Harness{
			Store: newStore(t, objstore.Options{PartSize: 64 << 10}),
			Base:  t.TempDir() + "/",
		}
	})
}

func TestConformanceMem(t *testing.T) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency=%d", conc), func(t *testing.T) {
			objstoretest.Run(t, func(t *testing.T) objstoretest.Harness {
				return objstoretest.Harness{
					Store:         newStore(t, objstore.Options{PartSize: 64 << 10, Concurrency: conc}),
					Base:          "mem://bucket/x/",
					KnowsSHA256:   true,
					KeepsMetadata: true,
				}
			})
		})
	}
}

func TestConformanceS3(t *testing.T) {
	srv := startS3(t)
	var n atomic.Int64
	objstoretest.Run(t, func(t *testing.T) objstoretest.Harness {
		o := srv.options("")
		o.PartSize = objstore.MinS3PartSize
		return objstoretest.Harness{
			Store:         newStore(t, o),
			Base:          srv.url(fmt.Sprintf("run%d/", n.Add(1))),
			KnowsSHA256:   true,
			KeepsMetadata: true,
		}
	})
}
