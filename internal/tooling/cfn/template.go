// Package cfn reads the CloudFormation templates that `cdk synth` writes to cdk.out and resolves
// their intrinsic functions against resources that a local runner created.
package cfn

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Template is one synthesized stack template. The Rules section (CDK's CheckBootstrapVersion) is
// not kept: nothing local acts on it.
type Template struct {
	// Path is the file the template was read from; messages name it.
	Path        string
	Description string
	Parameters  map[string]Parameter
	// Mappings is map name -> top-level key -> second-level key -> value (Fn::FindInMap).
	Mappings   map[string]map[string]map[string]any
	Conditions map[string]any
	Resources  map[string]Resource
	Outputs    map[string]Output
}

// Parameter is one entry of the Parameters section.
type Parameter struct {
	Name string
	Type string
	// Default is nil when the template gives none; an empty default is a valid value.
	Default     *string
	Description string
}

// ssmTypePrefix starts the type of a parameter whose value CloudFormation reads from SSM.
const ssmTypePrefix = "AWS::SSM::Parameter::Value<"

// SSMName returns the name of the SSM parameter that an SSM-typed parameter
// (AWS::SSM::Parameter::Value<...>) reads: its Default. ok is false for any other parameter and
// for an SSM-typed one without a Default.
func (p Parameter) SSMName() (name string, ok bool) {
	if !strings.HasPrefix(p.Type, ssmTypePrefix) || p.Default == nil {
		return "", false
	}
	return *p.Default, true
}

// cdkBootstrapVersion is the parameter CDK's default stack synthesizer adds to every stack for its
// CheckBootstrapVersion rule: an SSM-typed parameter reading the version that `cdk bootstrap`
// writes (https://docs.aws.amazon.com/cdk/v2/guide/configure-synth.html).
const cdkBootstrapVersion = "BootstrapVersion"

// CDKBootstrap reports whether p is the parameter CDK adds for its bootstrap version check. Only
// that check reads it; it exists in any bootstrapped account, and a local run has no bootstrap
// stack, so a tool treats it apart from the parameters the stacks read of each other.
func (p Parameter) CDKBootstrap() bool {
	_, ssm := p.SSMName()
	return p.Name == cdkBootstrapVersion && ssm
}

// Resource is one entry of the Resources section, with its logical ID.
type Resource struct {
	LogicalID           string
	Type                string
	Properties          map[string]any
	Metadata            map[string]any
	DependsOn           []string
	Condition           string
	DeletionPolicy      string
	UpdateReplacePolicy string
}

// Output is one entry of the Outputs section. Value and ExportName are unresolved.
type Output struct {
	LogicalID   string
	Description string
	Value       any
	ExportName  any
	Condition   string
}

type rawTemplate struct {
	Description string                               `json:"Description"`
	Parameters  map[string]rawParameter              `json:"Parameters"`
	Mappings    map[string]map[string]map[string]any `json:"Mappings"`
	Conditions  map[string]any                       `json:"Conditions"`
	Resources   map[string]rawResource               `json:"Resources"`
	Outputs     map[string]rawOutput                 `json:"Outputs"`
}

type rawParameter struct {
	Type        string `json:"Type"`
	Default     any    `json:"Default"`
	Description string `json:"Description"`
}

type rawResource struct {
	Type                string         `json:"Type"`
	Properties          map[string]any `json:"Properties"`
	Metadata            map[string]any `json:"Metadata"`
	DependsOn           any            `json:"DependsOn"`
	Condition           string         `json:"Condition"`
	DeletionPolicy      string         `json:"DeletionPolicy"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy"`
}

type rawOutput struct {
	Description string `json:"Description"`
	Value       any    `json:"Value"`
	Export      *struct {
		Name any `json:"Name"`
	} `json:"Export"`
	Condition string `json:"Condition"`
}

// LoadTemplate reads a JSON template such as cdk.out/wild-rydes-dev.template.json.
func LoadTemplate(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := ParseTemplate(data)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	t.Path = path
	return t, nil
}

// ParseTemplate reads a JSON template held in memory; its Path is empty.
func ParseTemplate(data []byte) (*Template, error) {
	var raw rawTemplate
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if len(raw.Resources) == 0 {
		return nil, fmt.Errorf("no Resources section")
	}
	t := &Template{
		Description: raw.Description,
		Parameters:  make(map[string]Parameter, len(raw.Parameters)),
		Mappings:    raw.Mappings,
		Conditions:  raw.Conditions,
		Resources:   make(map[string]Resource, len(raw.Resources)),
		Outputs:     make(map[string]Output, len(raw.Outputs)),
	}
	for name, p := range raw.Parameters {
		param := Parameter{Name: name, Type: p.Type, Description: p.Description}
		if p.Default != nil {
			s, err := scalarString(p.Default)
			if err != nil {
				return nil, fmt.Errorf("Parameters.%s.Default: %w", name, err)
			}
			param.Default = &s
		}
		t.Parameters[name] = param
	}
	for id, r := range raw.Resources {
		if r.Type == "" {
			return nil, fmt.Errorf("Resources.%s: no Type", id)
		}
		deps, err := dependsOn(r.DependsOn)
		if err != nil {
			return nil, fmt.Errorf("Resources.%s.DependsOn: %w", id, err)
		}
		t.Resources[id] = Resource{
			LogicalID:           id,
			Type:                r.Type,
			Properties:          r.Properties,
			Metadata:            r.Metadata,
			DependsOn:           deps,
			Condition:           r.Condition,
			DeletionPolicy:      r.DeletionPolicy,
			UpdateReplacePolicy: r.UpdateReplacePolicy,
		}
	}
	for id, o := range raw.Outputs {
		out := Output{LogicalID: id, Description: o.Description, Value: o.Value, Condition: o.Condition}
		if o.Export != nil {
			out.ExportName = o.Export.Name
		}
		t.Outputs[id] = out
	}
	return t, nil
}

// dependsOn accepts both forms CloudFormation allows: a single logical ID or a list of them.
func dependsOn(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want logical IDs, got %T", e)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("want a logical ID or a list of them, got %T", v)
	}
}

// ResourcesOfType returns the resources of one type, such as "AWS::Lambda::Function", sorted by
// logical ID.
func (t *Template) ResourcesOfType(typ string) []Resource {
	var out []Resource
	for _, r := range t.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// Same reports whether two templates declare the same resources, parameters and outputs: a
// deploy of one over the other changes nothing.
func (t *Template) Same(o *Template) bool {
	return jsonOf(t.Resources) == jsonOf(o.Resources) && jsonOf(t.Parameters) == jsonOf(o.Parameters) &&
		jsonOf(t.Outputs) == jsonOf(o.Outputs)
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// scalarString renders a JSON scalar the way CloudFormation turns it into a string.
func scalarString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	default:
		return "", fmt.Errorf("want a string, got %s", describe(v))
	}
}

// describe names a JSON value's kind for error messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case noValue:
		return "Ref AWS::NoValue"
	case map[string]any:
		if len(v) == 1 {
			for k := range v {
				return "an object with key " + strconv.Quote(k)
			}
		}
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
