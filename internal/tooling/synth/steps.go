package synth

import (
	"context"
	"fmt"
	"sync"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// Steps are the cloud assemblies of every refactor step of one stage: the one way a command or a
// test gets "the stacks of step N" or "stack K at step N". Every step comes from one run of the
// app (-c allSteps=true) cached by the app's sources, so the first caller pays one synthesis and
// every later one, in any process, none.
type Steps struct {
	// Stage is the stage the stacks were synthesized for; it names them.
	Stage string
	dir   string // the all-steps assembly; "" when every step was given

	mu     sync.Mutex
	byStep map[design.Step]*cfn.Assembly
}

// Synthesize returns the steps of opts.Stage (default design.DefaultStage), synthesizing them
// into the cache on the first call after the app's sources changed.
func Synthesize(ctx context.Context, opts Options) (*Steps, error) {
	if opts.Stage == "" {
		opts.Stage = design.DefaultStage
	}
	opts.AllSteps = true
	dir, err := Cached(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("synthesizing every step of stage %s: %w", opts.Stage, err)
	}
	return &Steps{Stage: opts.Stage, dir: dir, byStep: map[design.Step]*cfn.Assembly{}}, nil
}

// Use makes step's templates those of asm, e.g. `wildrydes local --dir cdk.out` runs the final
// state the user just synthesized, and reaches it through the cached intermediate steps.
func (s *Steps) Use(step design.Step, asm *cfn.Assembly) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byStep[step] = asm
}

// Assembly is the cloud assembly of step.
func (s *Steps) Assembly(step design.Step) (*cfn.Assembly, error) {
	if err := step.Validate(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if asm := s.byStep[step]; asm != nil {
		return asm, nil
	}
	if s.dir == "" {
		return nil, fmt.Errorf("the templates of step %d were not synthesized", step)
	}
	asm, err := cfn.LoadAssembly(design.StepAssembly(s.dir, step))
	if err != nil {
		return nil, fmt.Errorf("step %d: %w", step, err)
	}
	s.byStep[step] = asm
	return asm, nil
}

// Stack is the stack of kind as step's templates make it.
func (s *Steps) Stack(kind design.StackKind, step design.Step) (*cfn.Stack, error) {
	asm, err := s.Assembly(step)
	if err != nil {
		return nil, err
	}
	name := design.StackName(kind, s.Stage)
	st := asm.Stacks[name]
	if st == nil {
		return nil, fmt.Errorf("the templates of step %d have no stack %s", step, name)
	}
	return st, nil
}

// All is every step's assembly, by step.
func (s *Steps) All() (map[design.Step]*cfn.Assembly, error) {
	out := map[design.Step]*cfn.Assembly{}
	for _, step := range design.Steps() {
		asm, err := s.Assembly(step)
		if err != nil {
			return nil, err
		}
		out[step] = asm
	}
	return out, nil
}
