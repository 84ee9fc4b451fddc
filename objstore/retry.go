package objstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// retry runs fn up to Options.MaxAttempts times while it fails with a
// transient error, sleeping with exponential backoff and full jitter between
// attempts. Each attempt gets its own ctx bounded by Options.AttemptTimeout;
// the parent ctx bounds the whole. Exhausted retries are ErrUnavailable
// wrapping the last error.
func (s *Store) retry(ctx context.Context, fn func(ctx context.Context) error) error {
	return retryPolicy{s.opts}.do(ctx, fn)
}

// retryPolicy carries the retry options so drivers can retry the parts of
// a multipart upload with the Store's settings.
type retryPolicy struct{ o Options }

func (p retryPolicy) do(ctx context.Context, fn func(ctx context.Context) error) error {
	var last error
	for attempt := 0; attempt < p.o.MaxAttempts; attempt++ {
		if attempt > 0 {
			if err := p.sleep(ctx, attempt); err != nil {
				return fmt.Errorf("%w: %w (last error: %w)", ErrUnavailable, err, last)
			}
		}
		actx, cancel := context.WithTimeout(ctx, p.o.AttemptTimeout)
		err := fn(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return errors.Join(ctx.Err(), err)
		}
		if !retryable(err) {
			return err
		}
		last = err
	}
	return fmt.Errorf("%w after %d attempts: %w", ErrUnavailable, p.o.MaxAttempts, last)
}

// retryable reports whether err is worth another attempt: a driver marked
// it transient, or the attempt timed out.
func retryable(err error) bool {
	var te *transientError
	return errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded)
}

// backoff returns the jittered delay before retry number attempt (1-based).
func (p retryPolicy) backoff(attempt int) time.Duration {
	d := p.o.RetryBaseDelay
	for i := 1; i < attempt && d < p.o.RetryMaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.o.RetryMaxDelay)
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

// sleep waits the backoff for attempt, or returns ctx's error (at once when
// ctx's deadline would pass during the wait).
func (p retryPolicy) sleep(ctx context.Context, attempt int) error {
	d := p.backoff(attempt)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
