package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// DecodeProperties decodes resolved properties (from Resolver.ResolveProperties) into out, a
// pointer to a struct. It is meant for goformation's typed resources, e.g.
//
//	var fn lambda.Function // github.com/awslabs/goformation/v7/cloudformation/lambda
//	err := cfn.DecodeProperties(props, &fn)
//	fn.Environment.Variables["TABLE_NAME"], *fn.Timeout, *fn.MemorySize
//
// Tested with goformation v7.14.9's lambda.Function, lambda.EventInvokeConfig, sns.Subscription,
// sqs.Queue, ssm.Parameter, dynamodb.Table and apigatewayv2.Route.
//
// goformation's resource types unmarshal a whole template resource ({"Type", "Properties", ...})
// and reject any property their schema lacks. v7.14.9 dates from April 2024, older than the CDK
// that synthesizes our templates, so DecodeProperties decodes the bare properties into a
// method-free copy of the struct instead (what goformation does with its own `type Properties
// Function`): properties the struct lacks are ignored, while a property of the wrong type is
// still an error. Other structs are decoded with plain encoding/json.
func DecodeProperties(resolved map[string]any, out any) error {
	data, err := json.Marshal(resolved)
	if err != nil {
		return fmt.Errorf("encode properties: %w", err)
	}
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode properties: want a pointer to a struct, got %T", out)
	}
	typ := v.Elem().Type()
	if _, isResource := out.(interface{ AWSCloudFormationType() string }); !isResource {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode properties into %s: %w", typ, err)
		}
		return nil
	}

	fields := make([]reflect.StructField, typ.NumField())
	for i := range fields {
		f := typ.Field(i)
		if !f.IsExported() || f.Anonymous {
			return fmt.Errorf("decode properties: %s has field %s that a plain copy cannot hold", typ, f.Name)
		}
		fields[i] = reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag}
	}
	plain := reflect.New(reflect.StructOf(fields))
	if err := json.Unmarshal(data, plain.Interface()); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("decode %s: property %s: want %s, got a JSON %s", resourceType(out), te.Field, te.Type, te.Value)
		}
		return fmt.Errorf("decode %s: %w", resourceType(out), err)
	}
	v.Elem().Set(plain.Elem().Convert(typ))
	return nil
}

func resourceType(out any) string {
	return out.(interface{ AWSCloudFormationType() string }).AWSCloudFormationType()
}
