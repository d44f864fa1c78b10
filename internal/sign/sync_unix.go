//go:build unix

package sign

import "syscall"

// canSyncAll: SignFiles may skip per-file syncs and call syncAll.
const canSyncAll = true

// syncAll flushes every file system's dirty data to disk.
func syncAll() { syscall.Sync() }
