// Package lambdas holds one folder per Lambda function; this test checks what they share.
package lambdas

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"
)

// Every function logs through aws-lambda-go's handler, which adds the request ID to every line
// and follows the function's log format and level (AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL):
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
func TestEveryFunctionLogsThroughTheLambdaLogHandler(t *testing.T) {
	mains, _ := filepath.Glob("*/main.go")
	if len(mains) < 5 {
		t.Fatalf("found %d functions, want every lambdas/<name>/main.go", len(mains))
	}
	for _, path := range mains {
		t.Run(filepath.Dir(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			calls := map[string]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok {
						calls[pkg.Name+"."+sel.Sel.Name] = true
					}
				}
				return true
			})
			if !calls["lambdacontext.NewLogger"] && !calls["lambdacontext.NewLogHandler"] {
				t.Error("main does not set lambdacontext's log handler")
			}
			for _, own := range []string{"slog.NewJSONHandler", "slog.NewTextHandler"} {
				if calls[own] {
					t.Errorf("main builds its own handler (%s): its lines would lack the request ID", own)
				}
			}
		})
	}
}
