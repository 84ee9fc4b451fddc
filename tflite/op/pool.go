package op

import "sync"

// pool runs range-split work on a bounded set of goroutines.
type pool struct{}

func (p *pool) run(n, t int, fn func(lo, hi int)) {
	if t > n {
		t = n
	}
	var wg sync.WaitGroup
	chunk := (n + t - 1) / t
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, min(chunk, n))
	wg.Wait()
}
