//go:build !unix

package search

import (
	"fmt"
	"os"
)

// lockDir opens the lock file. Without flock on this system, two searches
// in one directory are not prevented.
//
// TODO: lock with LockFileEx on Windows.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("search: lock: %w", err)
	}
	return f, nil
}
