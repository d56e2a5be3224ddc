package lambda

// NewBuilderIn is NewBuilder with the binaries in dir: a test's own folder, which no earlier run
// has built into.
var NewBuilderIn = newBuilder

// Forget makes this process forget what it built into dir, as a process started since knows
// nothing of it: only the folder (binaries and stamps) tells.
func Forget(dir string) {
	buildsMu.Lock()
	defer buildsMu.Unlock()
	delete(byDir, dir)
}
