package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// deployed is one stack as the local system created it.
type deployed struct {
	name      string
	source    *cfn.Stack           // the template it was deployed from
	resources map[string]*resource // by logical ID
	order     []string
	outputs   map[string]string
}

func (d *deployed) physicalIDs() map[string]string {
	out := map[string]string{}
	for id, r := range d.resources {
		out[id] = r.physical
	}
	return out
}

// resource is one created resource and what removing it needs.
type resource struct {
	logicalID, typ, physical string
	attrs                    map[string]string
	props                    string // resolved properties as JSON: unchanged means nothing to do
	retain                   bool
	apiID, routeKey, integID string // routes and integrations
	subToken                 string // subscriptions
}

func (s *System) lookupSSM(ctx context.Context, name string) (string, error) {
	out, err := s.aws.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("SSM parameter %s: %w", name, err)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// Deploy creates or updates one stack as CloudFormation would: resources in dependency order,
// unchanged ones kept, changed ones updated in place (functions swapped without dropping an
// invocation in flight), and what the new template no longer has removed last.
func (s *System) Deploy(ctx context.Context, stack *cfn.Stack) error {
	start := time.Now()
	t := stack.Template
	if err := s.refuse(ctx, stack); err != nil {
		return err
	}
	params, err := cfn.ResolveParameters(t, func(name string) (string, error) { return s.lookupSSM(ctx, name) }, nil)
	if err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}
	order, err := t.Order()
	if err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}
	if err := s.buildFunctions(ctx, t); err != nil {
		return err
	}

	s.mu.Lock()
	prev := s.stacks[stack.Name]
	s.mu.Unlock()
	r := &cfn.Resolver{Region: s.opts.Region, AccountID: localstate.AccountID, Partition: "aws", URLSuffix: "amazonaws.com",
		StackName: stack.Name, StackID: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/local", s.opts.Region, localstate.AccountID, stack.Name),
		Params: params, Physical: map[string]string{}, Attrs: map[string]map[string]string{}, Template: t}
	next := &deployed{name: stack.Name, source: stack, resources: map[string]*resource{}}
	var replaced []*resource
	created, updated := 0, 0
	for _, id := range order {
		res := t.Resources[id]
		if ok, err := t.Included(res, r); err != nil {
			return fmt.Errorf("deploying %s: %w", stack.Name, err)
		} else if !ok {
			continue
		}
		props, err := r.ResolveProperties(res)
		if err != nil {
			return fmt.Errorf("deploying %s: %w", stack.Name, err)
		}
		var old *resource
		if prev != nil {
			if o := prev.resources[id]; o != nil && o.typ == res.Type {
				old = o
			}
		}
		nr, replacedOld, err := s.provision(ctx, stack.Name, res, props, old)
		if err != nil {
			return fmt.Errorf("deploying %s: %s (%s): %w", stack.Name, id, res.Type, err)
		}
		if replacedOld {
			replaced = append(replaced, old)
		}
		switch {
		case old == nil:
			created++
		case old != nr:
			updated++
		}
		next.resources[id] = nr
		next.order = append(next.order, id)
		r.Physical[id] = nr.physical
		r.Attrs[id] = nr.attrs
	}
	if next.outputs, err = t.ResolveOutputs(r); err != nil {
		return fmt.Errorf("deploying %s: %w", stack.Name, err)
	}

	// Clean-up, as CloudFormation does after the update: what the new template dropped, newest
	// first, and what an update replaced.
	var gone []*resource
	if prev != nil {
		for i := len(prev.order) - 1; i >= 0; i-- {
			id := prev.order[i]
			if o := prev.resources[id]; next.resources[id] == nil || next.resources[id].typ != o.typ {
				gone = append(gone, o)
			}
		}
	}
	for _, o := range append(replaced, gone...) {
		s.remove(ctx, o)
	}
	s.mu.Lock()
	s.stacks[stack.Name] = next
	if sys, err := s.deployedModel(); err == nil {
		s.roleAPIs = s.findRoleAPIs(sys)
	}
	s.mu.Unlock()
	fmt.Fprintf(s.opts.Log, "deployed %s: %d created, %d updated, %d removed, in %.1fs\n",
		stack.Name, created, updated, len(gone)+len(replaced), time.Since(start).Seconds())
	return s.writeState()
}

// buildFunctions builds the host binaries of every function in the templates, in one go build.
func (s *System) buildFunctions(ctx context.Context, templates ...*cfn.Template) error {
	var entries []string
	for _, t := range templates {
		for _, r := range t.ResourcesOfType("AWS::Lambda::Function") {
			entry := model.EntryOf(r)
			if entry == "" {
				return fmt.Errorf("function %s has no entry metadata (the folder it is built from): the local runner runs only functions built by constructs.GoLambda", r.LogicalID)
			}
			entries = append(entries, entry)
		}
	}
	_, err := s.builder.binaries(ctx, entries)
	return err
}

func (s *System) api(id string) *httpAPI {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apis[id]
}

func (s *System) function(arn string) *function {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.functions[arn]
}

// physicalName is how CloudFormation names what the template leaves unnamed: stack, logical ID
// and a random suffix, so parallel stages and repeated runs never collide.
func physicalName(stack, logicalID string, limit int) string {
	suffix := "-" + strings.ToUpper(randomID(12))
	name := stack + "-" + logicalID
	if len(name)+len(suffix) > limit {
		name = name[:limit-len(suffix)]
	}
	return name + suffix
}

func randomID(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

var errNoFunction = errors.New("no such function")
