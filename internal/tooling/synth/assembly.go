package synth

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// AssemblyStack is the stack called name of a cloud assembly this package synthesized (in the
// cache) or `cdk synth` wrote into root's cdk.out, whose template is file: what the local system
// deploys when a command asks it to, and nothing else on the disk.
func AssemblyStack(root, file, name string) (*cfn.Stack, error) {
	real, err := filepath.EvalSymlinks(file)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", file, err)
	}
	if real, err = filepath.Abs(real); err != nil {
		return nil, err
	}
	dir := filepath.Dir(real)
	bases := []string{cacheRoot(), filepath.Join(root, "cdk.out")}
	inside := false
	for _, base := range bases {
		if b, err := filepath.EvalSymlinks(base); err == nil {
			rel, err := filepath.Rel(b, dir)
			inside = inside || (err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
		}
	}
	if !inside {
		return nil, fmt.Errorf("%s is not in a synthesized cloud assembly (under %s)", file, strings.Join(bases, " or "))
	}
	asm, err := cfn.LoadAssembly(dir)
	if err != nil {
		return nil, err
	}
	st := asm.Stacks[name]
	if st == nil {
		return nil, fmt.Errorf("the cloud assembly %s has no stack %s", dir, name)
	}
	if t, err := filepath.EvalSymlinks(st.TemplateFile); err != nil || t != real {
		return nil, fmt.Errorf("%s is not the template of %s in %s", file, name, dir)
	}
	return st, nil
}
