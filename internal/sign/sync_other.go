//go:build !unix

package sign

// canSyncAll: without sync(2), SignFiles syncs each file.
const canSyncAll = false

// syncAll is a no-op where there is no sync(2).
func syncAll() {}
