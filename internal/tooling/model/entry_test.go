package model_test

import (
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

func TestAFunctionsEntryIsItsOneStringMetadataOutsideCDKs(t *testing.T) {
	for _, c := range []struct {
		name     string
		metadata map[string]any
		want     string
	}{
		{"beside CDK's own metadata and cdk-nag's suppressions", map[string]any{
			"aws:cdk:path": "wild-rydes-dev/RequestRide/Function/Resource", "aws:asset:path": "asset.abc",
			"cdk_nag": map[string]any{"rules_to_suppress": []any{}}, "wildrydes:entry": "lambdas/request-ride"}, "lambdas/request-ride"},
		{"none: not a function the project built", map[string]any{"aws:cdk:path": "x"}, ""},
		{"two: ambiguous, so none", map[string]any{"a": "lambdas/a", "b": "lambdas/b"}, ""},
	} {
		if got := model.EntryOf(cfn.Resource{Metadata: c.metadata}); got != c.want {
			t.Errorf("%s: entry %q, want %q", c.name, got, c.want)
		}
	}
}
