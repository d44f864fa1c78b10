package repodata

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// parallel runs fn(0..n-1) on up to workers goroutines and returns the
// first error; it stops handing out work once ctx is done or fn failed.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	if workers > n {
		workers = n
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		failed   atomic.Bool
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				err := ctx.Err()
				if err == nil {
					err = fn(i)
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}
