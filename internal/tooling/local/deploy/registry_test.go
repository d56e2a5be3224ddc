package deploy_test

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/deploy"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/localtest"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// foldedIntoTheModel are the types the local system runs that the model describes as part of
// another resource rather than as a resource of their own.
var foldedIntoTheModel = map[string]string{
	"AWS::ApiGatewayV2::Integration": "model.Route (Integration, Function)",
	"AWS::Lambda::EventInvokeConfig": "model.Function (RetryAttempts)",
}

// The newcomer's checklist for a resource type the templates gain: the local system runs it (a
// provider that creates, updates and deletes it, in the file of its service, and the model
// describes it) or declares it a placeholder with the reason nothing runs for it locally. This
// test names each place still to change.
func TestEveryResourceTypeOfEveryStepIsRunOrAPlaceholder(t *testing.T) {
	env := localtest.Load(t)
	asms, err := env.Steps.All()
	if err != nil {
		t.Fatal(err)
	}
	where := map[string]string{} // type -> the first step and stack that has it
	described := map[string]bool{}
	for step, asm := range asms {
		sys, err := model.FromAssemblies(asm)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for typ := range describedTypes(sys) {
			described[typ] = true
		}
		for _, st := range asm.Stacks {
			for _, r := range st.Template.Resources {
				if _, ok := where[r.Type]; !ok {
					where[r.Type] = fmt.Sprintf("%s at step %d", st.Name, step)
				}
			}
		}
	}
	registry := deploy.Registry()
	for _, typ := range slices.Sorted(maps.Keys(where)) {
		reason, declared := registry[typ]
		switch {
		case !declared:
			t.Errorf("%s (in %s) is neither run nor a placeholder on the local system: in internal/tooling/local/deploy/provider_<service>.go, "+
				"register(%q, provider{apply, remove}) with a test of it, or placeholder(%q, why nothing runs for it locally)", typ, where[typ], typ, typ)
		case reason == "" && !described[typ] && foldedIntoTheModel[typ] == "":
			t.Errorf("%s runs on the local system but the model does not describe it: add it to model.Stack "+
				"(internal/tooling/model: its field in model.go, read in describe.go)", typ)
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(registry)) {
		if _, ok := where[typ]; !ok {
			t.Errorf("%s is declared in internal/tooling/local/deploy but no step's templates have it: remove it", typ)
		}
	}
}

// describedTypes are the resource types of every model.Resource the model's stacks hold.
func describedTypes(sys *model.System) map[string]bool {
	types := map[string]bool{}
	resource := reflect.TypeFor[model.Resource]()
	visited := map[uintptr]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() && !visited[v.Pointer()] {
				visited[v.Pointer()] = true
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			if v.Type() == resource {
				types[v.FieldByName("Type").String()] = true
				return
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	for _, st := range sys.Stacks {
		walk(reflect.ValueOf(st))
	}
	return types
}
