package modelcache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultDiskDirName is the directory under os.TempDir() that holds the disk
// cache when Options.DiskDir is empty.
const DefaultDiskDirName = "edgeinfer-cache"

// diskCache is a local content-addressed store of model bytes:
//
//	<dir>/blobs/<sha256 hex>     the bytes whose sha256 is the name
//	<dir>/refs/<sha256 hex>      64 hex digits: the blob of one (URL, ETag)
//
// Writes go to a temporary file renamed into place, so a crash leaves either
// nothing or a whole file; a blob whose bytes do not hash to its name is
// dropped when read. Total blob bytes stay within max (least recently used
// blobs go first). Safe for concurrent use.
type diskCache struct {
	dir string
	max int64

	mu    sync.Mutex
	blobs map[string]*blobInfo // guarded by mu
	bytes int64                // guarded by mu
}

type blobInfo struct {
	size int64
	used time.Time
}

// openDisk opens (creating it) the disk cache at dir, bounded to max bytes.
// It scans the directory once, removing temporary files left by a crash and
// blobs beyond the bound.
func openDisk(dir string, max int64) (*diskCache, error) {
	d := &diskCache{dir: dir, max: max, blobs: map[string]*blobInfo{}}
	for _, sub := range []string{"blobs", "refs"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("modelcache: disk cache: %w", err)
		}
	}
	ents, err := os.ReadDir(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, fmt.Errorf("modelcache: disk cache: %w", err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, "blobs", e.Name())
		if strings.HasPrefix(e.Name(), ".tmp-") {
			os.Remove(p)
			continue
		}
		info, err := e.Info()
		if err != nil || !e.Type().IsRegular() || !isHexSHA(e.Name()) {
			continue
		}
		d.blobs[e.Name()] = &blobInfo{size: info.Size(), used: info.ModTime()}
		d.bytes += info.Size()
	}
	d.mu.Lock()
	victims := d.shrinkLocked(0)
	d.mu.Unlock()
	d.remove(victims)
	return d, nil
}

// get returns the blob named by its sha256, or ok=false when absent or
// corrupt (a corrupt blob is removed).
func (d *diskCache) get(sum string) ([]byte, bool) {
	if !isHexSHA(sum) {
		return nil, false
	}
	p := filepath.Join(d.dir, "blobs", sum)
	data, err := os.ReadFile(p)
	if err != nil {
		d.forget(sum)
		return nil, false
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
		os.Remove(p)
		d.forget(sum)
		return nil, false
	}
	now := time.Now()
	os.Chtimes(p, now, now) // recency survives a restart; failure is harmless
	d.mu.Lock()
	if b := d.blobs[sum]; b != nil {
		b.used = now
	} else {
		d.blobs[sum] = &blobInfo{size: int64(len(data)), used: now}
		d.bytes += int64(len(data))
	}
	d.mu.Unlock()
	return data, true
}

// put stores data under its sha256 sum (computed by the caller) and, when
// url and etag are both set, records the ref (url, etag) → sum. Data larger
// than the whole bound is not stored. Errors are returned for counting; the
// cache works without the disk.
func (d *diskCache) put(sum string, data []byte, url, etag string) error {
	if int64(len(data)) > d.max {
		return nil
	}
	d.mu.Lock()
	_, have := d.blobs[sum]
	var victims []string
	if !have {
		victims = d.shrinkLocked(int64(len(data)))
	}
	d.mu.Unlock()
	d.remove(victims)
	if !have {
		if err := writeAtomic(filepath.Join(d.dir, "blobs"), sum, data); err != nil {
			return err
		}
		d.mu.Lock()
		if _, raced := d.blobs[sum]; !raced {
			d.blobs[sum] = &blobInfo{size: int64(len(data)), used: time.Now()}
			d.bytes += int64(len(data))
		}
		d.mu.Unlock()
	}
	if url != "" && etag != "" {
		return writeAtomic(filepath.Join(d.dir, "refs"), refName(url, etag), []byte(sum))
	}
	return nil
}

// lookup returns the blob sum recorded for (url, etag), or "".
func (d *diskCache) lookup(url, etag string) string {
	if url == "" || etag == "" {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(d.dir, "refs", refName(url, etag)))
	if err != nil || !isHexSHA(string(b)) {
		return ""
	}
	return string(b)
}

// shrinkLocked picks least recently used blobs to drop so that room more
// bytes fit, removing them from the index. The caller removes the files.
func (d *diskCache) shrinkLocked(room int64) []string {
	if d.bytes+room <= d.max {
		return nil
	}
	names := make([]string, 0, len(d.blobs))
	for n := range d.blobs {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return d.blobs[a].used.Compare(d.blobs[b].used) })
	var out []string
	for _, n := range names {
		if d.bytes+room <= d.max {
			break
		}
		d.bytes -= d.blobs[n].size
		delete(d.blobs, n)
		out = append(out, n)
	}
	return out
}

func (d *diskCache) remove(names []string) {
	for _, n := range names {
		os.Remove(filepath.Join(d.dir, "blobs", n))
	}
}

// drop removes the blob named by its sha256: bytes that failed to load.
func (d *diskCache) drop(sum string) {
	if !isHexSHA(sum) {
		return
	}
	os.Remove(filepath.Join(d.dir, "blobs", sum))
	d.forget(sum)
}

func (d *diskCache) forget(sum string) {
	d.mu.Lock()
	if b := d.blobs[sum]; b != nil {
		d.bytes -= b.size
		delete(d.blobs, sum)
	}
	d.mu.Unlock()
}

// usage returns the bytes of blobs held.
func (d *diskCache) usage() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bytes
}

// writeAtomic writes data to dir/name through a temporary file in dir that
// is synced and renamed into place.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("modelcache: disk cache: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("modelcache: disk cache: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("modelcache: disk cache: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("modelcache: disk cache: %w", err)
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("modelcache: disk cache: %w", err)
	}
	return nil
}

func refName(url, etag string) string {
	s := sha256.Sum256([]byte(url + "\x00" + etag))
	return hex.EncodeToString(s[:])
}

func isHexSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// sha256Hex returns the lowercase hex sha256 of data.
func sha256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}
