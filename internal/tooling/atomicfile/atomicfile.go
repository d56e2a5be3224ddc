// Package atomicfile writes a file whole or not at all: what the tools keep for other processes
// (a state file, a cache entry, a build stamp) is read meanwhile, and must never be seen half
// written.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, with permissions perm, creating its folder if need be: data goes
// to a new file in the same folder, which is then renamed over path (a rename within one file
// system replaces the name at once). When two processes write the same path, one of them wins.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
