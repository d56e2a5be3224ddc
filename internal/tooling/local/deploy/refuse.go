package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// errNoBootstrapStack stands for the answer SSM would give about CDK's bootstrap version locally.
var errNoBootstrapStack = errors.New("a local system has no CDK bootstrap stack")

// parameters resolves the template's parameters as CloudFormation does when it makes the change
// set, before anything of the stack changes: an SSM-typed parameter is read from SSM now (what the
// other stack writes later does not count), and one that names no SSM parameter refuses the deploy
// with CloudFormation's message. Everything else CloudFormation refuses is found by running the
// stack's resources, its custom resources included.
func (e *Engine) parameters(ctx context.Context, stack *cfn.Stack) (map[string]string, error) {
	bootstrap := map[string]bool{} // CDK's bootstrap version: a local run has no bootstrap stack
	for _, p := range stack.Template.Parameters {
		if name, ok := p.SSMName(); ok && p.CDKBootstrap() {
			bootstrap[name] = true
		}
	}
	var missing []string
	params, err := cfn.ResolveParameters(stack.Template, func(name string) (string, error) {
		if bootstrap[name] {
			// Never asked: nothing local reads its value (cfn.Template keeps no Rules), and the
			// emulator has no bootstrap stack to hold it (one GetParameter per deploy saved).
			return "", errNoBootstrapStack
		}
		out, err := e.AWS.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		var notFound *ssmtypes.ParameterNotFound
		if errors.As(err, &notFound) && !bootstrap[name] {
			missing = append(missing, name)
		}
		if err != nil {
			return "", fmt.Errorf("SSM parameter %s: %w", name, err)
		}
		return aws.ToString(out.Parameter.Value), nil
	}, nil)
	if len(missing) > 0 {
		return nil, fmt.Errorf("deploying %s: ValidationError: Unable to fetch parameters [%s] from parameter store for this account",
			stack.Name, strings.Join(missing, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("deploying %s: %w", stack.Name, err)
	}
	return params, nil
}
