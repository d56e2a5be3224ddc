package cfn

import "strconv"

// pathError places an error inside the template, e.g.
// "Resources.RequestRide.Properties.Environment.Variables.X: Ref to unknown resource "Foo"".
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// untracked is the path of values inside an intrinsic function's arguments: an error there is
// placed at the function (and says which function), not somewhere inside its arguments.
const untracked = "\x00"

// at places err at path, unless it is already placed. Only err itself counts: a placed error
// that a function wrapped (the condition of an Fn::If) still needs the place of the function.
func at(path string, err error) error {
	if _, placed := err.(*pathError); placed || path == "" || path == untracked {
		return err
	}
	return &pathError{path: path, err: err}
}

func child(path, key string) string {
	switch path {
	case "":
		return key
	case untracked:
		return untracked
	}
	return path + "." + key
}

func index(path string, i int) string {
	if path == untracked {
		return untracked
	}
	return path + "[" + strconv.Itoa(i) + "]"
}
