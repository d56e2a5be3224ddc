package deploy

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/lambda"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// The functions (AWS::Lambda::*): each its real Go binary under the local Runtime API, and the
// asynchronous invocation settings of its EventInvokeConfig.

func init() {
	register("AWS::Lambda::Function", provider{
		apply: func(ctx context.Context, e *Engine, c change) (*Resource, bool, error) {
			return e.provisionFunction(ctx, c)
		},
		remove: func(_ context.Context, e *Engine, r *Resource) error {
			e.Lambda.Delete(r.Attrs["Arn"])
			return nil
		},
	})
	register("AWS::Lambda::EventInvokeConfig", provider{
		apply: func(_ context.Context, e *Engine, c change) (*Resource, bool, error) {
			name, _ := c.props["FunctionName"].(string)
			cfg := lambda.EventInvokeConfig{MaximumRetryAttempts: model.DefaultRetryAttempts, MaximumEventAge: lambda.DefaultMaximumEventAge}
			if v, ok := cfn.Number(c.props["MaximumRetryAttempts"]); ok {
				cfg.MaximumRetryAttempts = int(v)
			}
			if v, ok := cfn.Number(c.props["MaximumEventAgeInSeconds"]); ok {
				cfg.MaximumEventAge = time.Duration(v) * time.Second
			}
			e.Lambda.SetEventInvokeConfig(name, cfg)
			c.nr.Physical = name + ":$LATEST"
			return c.nr, false, nil
		},
	})
	placeholder("AWS::Lambda::Permission", "the local gateway and SNS invoke any function; who may invoke what is checked on the templates (model.Function.InvokePermissions)")
}

func (e *Engine) provisionFunction(ctx context.Context, c change) (*Resource, bool, error) {
	entry := model.EntryOf(c.res)
	bins, err := e.Builder.Binaries(ctx, []string{entry})
	if err != nil {
		return nil, false, err
	}
	// A function keeps its name through updates (a new FunctionName replaces it).
	name, _ := c.props["FunctionName"].(string)
	switch {
	case name != "":
	case c.old != nil:
		name = c.old.Physical
	default:
		name = physicalName(c.stack, c.res.LogicalID, 64)
	}
	f := lambda.Function{Name: name, Label: c.res.LogicalID, Binary: bins[entry],
		ARN: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", e.Region, e.AccountID, name),
		Env: maps.Clone(e.FunctionEnv), Timeout: model.DefaultTimeout, MemoryMB: model.DefaultMemoryMB}
	if v, ok := cfn.Number(c.props["Timeout"]); ok {
		f.Timeout = time.Duration(v * float64(time.Second))
	}
	if v, ok := cfn.Number(c.props["MemorySize"]); ok {
		f.MemoryMB = int(v)
	}
	if v, ok := cfn.Number(c.props["ReservedConcurrentExecutions"]); ok {
		n := int(v)
		f.ReservedConcurrency = &n
	}
	if logging, ok := c.props["LoggingConfig"].(map[string]any); ok {
		f.LogFormat, _ = logging["LogFormat"].(string)
		f.LogLevel, _ = logging["ApplicationLogLevel"].(string)
	}
	if env, ok := c.props["Environment"].(map[string]any); ok {
		vars, _ := env["Variables"].(map[string]any)
		for k, v := range vars {
			f.Env[k] = fmt.Sprint(v)
		}
	}
	if dl, ok := c.props["DeadLetterConfig"].(map[string]any); ok {
		target, _ := dl["TargetArn"].(string)
		e.mu.Lock()
		f.DeadLetterURL = e.queues[target]
		e.mu.Unlock()
		if f.DeadLetterURL == "" {
			return nil, false, fmt.Errorf("dead-letter target %s is not a queue of the local system", target)
		}
	}
	e.Lambda.Deploy(f)
	c.nr.Physical = name
	c.nr.Attrs["Arn"] = f.ARN
	return c.nr, c.old != nil && c.old.Physical != name, nil
}
