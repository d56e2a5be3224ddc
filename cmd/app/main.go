// Command app is the Wild Rydes CDK app: cdk.json runs it to synthesize both stacks.
package main

import (
	"fmt"
	"net/mail"
	"os"
	"regexp"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/stacks"
)

var stageName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, err := configFromContext(app)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wild-rydes:", err)
		os.Exit(1)
	}
	if _, all := contextString(app, design.AllStepsContext); all {
		if err := synthAllSteps(app, cfg); err != nil {
			fmt.Fprintln(os.Stderr, "wild-rydes:", err)
			os.Exit(1)
		}
		return
	}
	stacks.NewApp(app, cfg)
	app.Synth(nil)
}

// configFromContext reads -c stage=..., -c step=..., -c requestUnicornUrl=..., -c alarmEmail=...
// and -c tableCapacity=... .
func configFromContext(app awscdk.App) (stacks.AppConfig, error) {
	cfg := stacks.AppConfig{Stage: design.DefaultStage, Step: design.FinalStep}
	if v, ok := contextString(app, "stage"); ok {
		if !stageName.MatchString(v) {
			return cfg, fmt.Errorf("context stage=%q: a stage is lower-case letters, digits and dashes, starting with a letter (it names stacks and SSM parameters)", v)
		}
		cfg.Stage = v
	}
	if v, ok := contextString(app, "step"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return cfg, fmt.Errorf("context step=%q is not a whole number: use -c step=0 .. -c step=%d", v, design.FinalStep)
		}
		cfg.Step = design.Step(n)
		if err := cfg.Step.Validate(); err != nil {
			return cfg, fmt.Errorf("context step: %w", err)
		}
	}
	if v, ok := contextString(app, "requestUnicornUrl"); ok {
		cfg.RequestUnicornURL = v
	}
	if v, ok := contextString(app, "alarmEmail"); ok {
		if addr, err := mail.ParseAddress(v); err != nil || addr.Address != v {
			return cfg, fmt.Errorf("context alarmEmail=%q is not an email address: use -c alarmEmail=ops@example.com (it is subscribed to both stacks' alarm topics)", v)
		}
		cfg.AlarmEmail = v
	}
	if v, ok := contextString(app, design.TableCapacityContext); ok {
		c, err := design.ParseTableCapacity(v)
		if err != nil {
			return cfg, fmt.Errorf("context %s: %w (the ride table's provisioned read/write units before the on-demand step)", design.TableCapacityContext, err)
		}
		cfg.TableCapacity = c
	}
	return cfg, nil
}

func contextString(app awscdk.App, key string) (string, bool) {
	v := app.Node().TryGetContext(jsii.String(key))
	if v == nil {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	default:
		return fmt.Sprint(t), true
	}
}
