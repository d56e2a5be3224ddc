package rolloutguard

import (
	"context"
	"errors"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// ParameterGetter is the SSM call that reads a parameter's value.
type ParameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// HistoryGetter is the SSM call that reads a parameter's versions.
type HistoryGetter interface {
	GetParameterHistory(ctx context.Context, in *ssm.GetParameterHistoryInput, opts ...func(*ssm.Options)) (*ssm.GetParameterHistoryOutput, error)
}

// SSMClient is every SSM call the guard makes.
type SSMClient interface {
	ParameterGetter
	HistoryGetter
}

var _ SSMClient = (*ssm.Client)(nil)

// SSMLookup reads parameters through SSM; ParameterNotFound is "absent".
func SSMLookup(client ParameterGetter) Lookup {
	return func(ctx context.Context, name string) (string, bool, error) {
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		var notFound *ssmtypes.ParameterNotFound
		switch {
		case errors.As(err, &notFound):
			return "", false, nil
		case err != nil:
			return "", false, err
		}
		return aws.ToString(out.Parameter.Value), true, nil
	}
}

// SSMHistory reads a parameter's versions through SSM's GetParameterHistory, every page, oldest
// first; ParameterNotFound is no history.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameterHistory.html
func SSMHistory(client HistoryGetter) History {
	return func(ctx context.Context, name string) ([]Version, error) {
		type version struct {
			n int64
			Version
		}
		var all []version
		var token *string
		for {
			out, err := client.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String(name), NextToken: token})
			var notFound *ssmtypes.ParameterNotFound
			switch {
			case errors.As(err, &notFound):
				return nil, nil
			case err != nil:
				return nil, err
			}
			for _, p := range out.Parameters {
				all = append(all, version{p.Version, Version{Value: aws.ToString(p.Value), Set: aws.ToTime(p.LastModifiedDate)}})
			}
			if token = out.NextToken; aws.ToString(token) == "" {
				break
			}
		}
		slices.SortFunc(all, func(a, b version) int { return int(a.n - b.n) })
		out := make([]Version, len(all))
		for i, v := range all {
			out[i] = v.Version
		}
		return out, nil
	}
}
