//go:build !unix

package node

import "errors"

// LockFile is the file in the data directory that a running node holds.
const LockFile = "node.lock"

// ErrDataDirInUse reports a data directory another running node holds.
var ErrDataDirInUse = errors.New("data directory in use")

// dirLock is a no-op where file locks are not available; the chain store's
// own lock still refuses a second node.
type dirLock struct{}

func lockDataDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) release() {}
