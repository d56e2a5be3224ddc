package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Assembly is the cloud assembly that `cdk synth` writes (cdk.out), reduced to its stacks.
type Assembly struct {
	Dir string
	// Stacks is keyed by CloudFormation stack name, e.g. "wild-rydes-dev".
	Stacks map[string]*Stack
}

// Stack is one "aws:cloudformation:stack" artifact of the assembly.
type Stack struct {
	// Name is the CloudFormation stack name: properties.stackName, else the artifact ID.
	Name        string
	ArtifactID  string
	DisplayName string
	// Environment is "aws://<account>/<region>"; env-agnostic stacks say
	// "aws://unknown-account/unknown-region".
	Environment  string
	TemplateFile string
	// Dependencies are the names of the other stacks this one must follow.
	Dependencies []string
	Template     *Template
}

type manifest struct {
	Artifacts map[string]artifact `json:"artifacts"`
}

type artifact struct {
	Type         string   `json:"type"`
	Environment  string   `json:"environment"`
	DisplayName  string   `json:"displayName"`
	Dependencies []string `json:"dependencies"`
	Properties   struct {
		TemplateFile  string `json:"templateFile"`
		StackName     string `json:"stackName"`
		DirectoryName string `json:"directoryName"` // for nested assemblies (CDK Stages)
	} `json:"properties"`
}

// LoadAssembly reads dir/manifest.json and every stack template it lists, including the stacks of
// nested assemblies that CDK Stages produce.
func LoadAssembly(dir string) (*Assembly, error) {
	a := &Assembly{Dir: dir, Stacks: map[string]*Stack{}}
	if err := a.load(dir); err != nil {
		return nil, err
	}
	if len(a.Stacks) == 0 {
		return nil, fmt.Errorf("cloud assembly %s lists no CloudFormation stacks; run cdk synth first", dir)
	}
	return a, nil
}

func (a *Assembly) load(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no cloud assembly in %s (manifest.json not found); run cdk synth first", dir)
	}
	if err != nil {
		return fmt.Errorf("read cloud assembly manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("decode %s: %w", filepath.Join(dir, "manifest.json"), err)
	}

	ids := sortedKeys(m.Artifacts)

	stackNames := map[string]string{} // artifact ID -> stack name, to translate dependencies
	var stacks []*Stack
	for _, id := range ids {
		art := m.Artifacts[id]
		switch art.Type {
		case "cdk:cloud-assembly":
			if err := a.load(filepath.Join(dir, art.Properties.DirectoryName)); err != nil {
				return err
			}
		case "aws:cloudformation:stack":
			s := &Stack{
				Name:         art.Properties.StackName,
				ArtifactID:   id,
				DisplayName:  art.DisplayName,
				Environment:  art.Environment,
				TemplateFile: filepath.Join(dir, art.Properties.TemplateFile),
				Dependencies: art.Dependencies,
			}
			if s.Name == "" {
				s.Name = id
			}
			if art.Properties.TemplateFile == "" {
				return fmt.Errorf("%s: stack artifact %q has no templateFile", filepath.Join(dir, "manifest.json"), id)
			}
			if prev, ok := a.Stacks[s.Name]; ok {
				return fmt.Errorf("two stacks named %q: artifacts %q and %q", s.Name, prev.ArtifactID, id)
			}
			if s.Template, err = LoadTemplate(s.TemplateFile); err != nil {
				return fmt.Errorf("stack %s: %w", s.Name, err)
			}
			stackNames[id] = s.Name
			a.Stacks[s.Name] = s
			stacks = append(stacks, s)
		}
	}
	// Keep only dependencies on stacks; the others are asset manifests that a local run has no use for.
	for _, s := range stacks {
		var deps []string
		for _, d := range s.Dependencies {
			if name, ok := stackNames[d]; ok {
				deps = append(deps, name)
			}
		}
		s.Dependencies = deps
	}
	return nil
}
